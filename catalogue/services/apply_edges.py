"""The lineage a `catalogue apply` declares (``upstream:``): which keys a record
may name, which edges end and start, and which new ones would close a cycle."""

from __future__ import annotations

from sqlalchemy.orm import Session

from catalogue.errors import Problem
from catalogue.services.access import Principal, can_read
from catalogue.services.apply_plan import AssetStep, EdgeStep, Plan
from catalogue.services.context import Reader
from catalogue.services.edges import upstream_of
from catalogue.services.record_stream import records_by_key
from catalogue.services.record_types import TimedEdge
from lineage import LineageGraph


def plan_edges(reader: Reader, plan: Plan) -> list[Problem]:
    """Add to ``plan`` the lineage changes its records declare (``upstream:``), in
    three steps: which keys a record may name, what differs from the edges now,
    and which new edges would close a cycle. Returns what is wrong."""
    session = reader.session
    declared = [s for s in plan.assets if s.upstream is not None]
    known = _nameable_keys(session, plan, declared, reader.principal)
    current = upstream_of(session, [s.key for s in declared if s.key in plan.ids])
    problems: list[Problem] = []
    adds: list[EdgeStep] = []
    for step in declared:
        problems += _unknown_keys(step, known)
        adds += _edge_changes(plan, step, current.get(step.key, []))
    if adds:  # the graph is built only when there is a cycle to look for
        problems += _keep_acyclic(plan, reader.graph, adds)
    return problems


def _nameable_keys(
    session: Session, plan: Plan, declared: list[AssetStep], principal: Principal
) -> set[str]:
    """Keys an ``upstream`` or ``via`` may name: the files' own, those already in the
    catalogue that the plan updates, and others the applier may see."""
    wanted = {r.key for s in declared for r in s.upstream or []}
    wanted |= {r.via for s in declared for r in s.upstream or [] if r.via}
    in_files = {s.key for s in plan.assets}
    others = records_by_key(session, wanted - in_files)
    visible = {k for k, (_id, record) in others.items() if can_read(principal, record)}
    return in_files | set(plan.ids) | visible


def _unknown_keys(step: AssetStep, known: set[str]) -> list[Problem]:
    problems = []
    for ref in step.upstream or []:
        for name, key in (("upstream", ref.key), ("via", ref.via)):
            if key and key not in known:
                message = f"no asset with key {key!r} in the catalogue or in these files"
                problems.append(Problem(message, name, step.key, step.source))
    return problems


def _edge_changes(plan: Plan, step: AssetStep, current: list[TimedEdge]) -> list[EdgeStep]:
    """Record in ``plan`` the edges into ``step`` to end (gone, or changed) and
    return those to add (new, or changed: a changed edge is ended and added again)."""
    have = {e["upstream"]: e for e in current}
    want = {r.key: r for r in step.upstream or []}
    adds = []
    for ref in want.values():
        edge = have.get(ref.key)
        same = edge is not None and (edge["via"], edge["description"]) == (
            ref.via,
            ref.description,
        )
        if edge is not None and not same:
            plan.edges.append(EdgeStep("end", ref.key, step.key, step.source))
        if not same:
            adds.append(EdgeStep("add", ref.key, step.key, step.source, ref.via, ref.description))
    for up_key, edge in have.items():
        plan.current_edges[(up_key, step.key)] = edge
        if up_key not in want:
            plan.edges.append(EdgeStep("end", up_key, step.key, step.source))
    return adds


def _keep_acyclic(plan: Plan, graph: LineageGraph, adds: list[EdgeStep]) -> list[Problem]:
    """Add to ``plan`` the new edges that close no cycle (after the plan's ends);
    each one that would is a problem naming the cycle."""
    ended = [(e.upstream, e.downstream) for e in plan.edges]
    refused = dict(graph.refused_edges([(e.upstream, e.downstream) for e in adds], ended))
    problems = []
    for edge in adds:
        cycle = refused.get((edge.upstream, edge.downstream))
        if cycle:
            message = "this lineage would create a cycle: " + " → ".join(cycle)
            problems.append(Problem(message, "upstream", edge.downstream, edge.source))
        else:
            plan.edges.append(edge)
    return problems
