"""Checking published RDF against the DCAT-AP 3 SHACL shapes kept in
``tests/api/dcat_ap_shacl`` (their source and licence are in its README)."""

from __future__ import annotations

from functools import cache
from pathlib import Path

from pyshacl import validate
from rdflib import Graph
from rdflib.namespace import RDF, SH

SHAPES = Path(__file__).parent / "dcat_ap_shacl"


@cache
def dcat_ap_shapes() -> Graph:
    """The mandatory and range shapes, parsed once per test process."""
    g = Graph()
    for name in ("shapes.ttl", "range.ttl"):
        g.parse(SHAPES / name, format="turtle")
    return g


def violations(g: Graph) -> list[str]:
    """pySHACL's violations of ``g``, one readable line each."""
    conforms, report, _ = validate(g, shacl_graph=dcat_ap_shapes())
    lines = sorted(
        f"{report.value(r, SH.focusNode)} {report.value(r, SH.resultPath)}: "
        f"{report.value(r, SH.resultMessage)}"
        for r in report.subjects(RDF.type, SH.ValidationResult)
    )
    assert conforms == (not lines)
    return lines
