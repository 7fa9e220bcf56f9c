"""Reading catalogue files quickly (#21). YAML: the quick construction of plain
records gives exactly what PyYAML's safe loader gives, and leaves anything
unusual (aliases, merge keys, explicit tags) to PyYAML itself; errors name the
same line and field as before. JSON: each record's line is counted on from the
one before, and still right."""

from __future__ import annotations

import contextlib
import gc
import json
from datetime import date
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

from catalogue.errors import Invalid
from catalogue.services.catalogue_file import read_catalogue

UNUSUAL = """\
- &base
  key: rent-ledger
  kind: dataset
  title: Rent ledger
  tags: &tags [rent, housing]
  last_updated: 2026-01-02
  personal_data: yes
  columns:
    - {name: tenancy_ref, personal: true}
- <<: *base
  key: rent-arrears
  title: !!str 2026
  tags: *tags
- key: council-tax
  kind: dataset
  title: Council tax
  recipients: !!set {HMRC: null}
  links: !!omap [{a: 1}]
  1: one
  ~: nothing
  description: "quoted: not a date 2026-01-02"
  review_date: 2027-03-31
  retention_period: ~
"""


def read_as_before(text: str) -> list[object]:
    """The records as the reader built them before #21: PyYAML's safe loader
    building each item of the composed list in turn."""
    loader = yaml.CSafeLoader(text)
    try:
        root = loader.get_single_node()
        assert isinstance(root, yaml.SequenceNode)
        return [loader.construct_object(node, True) for node in root.value]
    finally:
        loader.dispose()


def written(tmp_path: Path, text: str, name: str = "register.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_records_are_what_pyyaml_reads(tmp_path: Path) -> None:
    path = written(tmp_path, UNUSUAL)
    records = read_catalogue(path).assets
    assert [r.data for r in records] == read_as_before(UNUSUAL) == yaml.safe_load(UNUSUAL)
    assert [r.source for r in records] == [f"{path}:1", f"{path}:10", f"{path}:14"]
    first, second, third = (cast("dict[Any, Any]", r.data) for r in records)
    assert first["last_updated"] == date(2026, 1, 2) and first["personal_data"] is True
    assert second["title"] == "2026" and second["kind"] == "dataset"  # merged from the first
    assert second["tags"] is first["tags"]  # an alias is the same list, as PyYAML builds it
    assert third["recipients"] == {"HMRC"} and third[1] == "one" and third[None] == "nothing"
    assert third["description"] == "quoted: not a date 2026-01-02"
    assert third["review_date"] == date(2027, 3, 31) and third["retention_period"] is None


def test_a_record_inside_itself_is_refused_as_before(tmp_path: Path) -> None:
    text = "- key: a\n  title: A\n- &me\n  key: loop\n  title: Loop\n  links: [*me]\n"
    with pytest.raises(yaml.constructor.ConstructorError):
        read_as_before(text)
    path = written(tmp_path, text)
    with pytest.raises(Invalid) as raised:
        read_catalogue(path)
    (problem,) = raised.value.problems
    assert problem.source == f"{path}:3"
    assert problem.message == "not valid YAML: found unconstructable recursive node"


def test_a_bad_date_names_its_line_and_field(tmp_path: Path) -> None:
    text = "- key: a\n  title: A\n- key: b\n  title: B\n  review_date: 2026-13-45\n"
    path = written(tmp_path, text)
    with pytest.raises(Invalid) as raised:
        read_catalogue(path)
    (problem,) = raised.value.problems
    assert problem.source == f"{path}:5" and problem.field == "review_date"
    assert "the value cannot be read" in problem.message


def test_an_unknown_tag_is_not_valid_yaml_at_its_line(tmp_path: Path) -> None:
    path = written(tmp_path, "- key: a\n  title: !secret A\n")
    with pytest.raises(Invalid) as raised:
        read_catalogue(path)
    assert raised.value.problems[0].source == f"{path}:2"
    assert "not valid YAML" in raised.value.problems[0].message


@pytest.mark.parametrize("text", ["- key: a\n  title: A\n", "- key: [\n"])
def test_the_garbage_collector_runs_again_after_reading(tmp_path: Path, text: str) -> None:
    assert gc.isenabled()
    with contextlib.suppress(Invalid):
        read_catalogue(written(tmp_path, text))
    assert gc.isenabled()


def test_json_records_and_errors_name_their_lines(tmp_path: Path) -> None:
    records = [{"key": f"rent-{n}", "title": f"Rent {n}", "tags": ["a", "b"]} for n in range(3)]
    text = json.dumps(records, indent=2)  # each record 8 lines long, from line 2
    path = written(tmp_path, text, "register.json")
    read = read_catalogue(path).assets
    assert [r.source for r in read] == [f"{path}:2", f"{path}:10", f"{path}:18"]
    assert [r.data for r in read] == records
    broken = written(tmp_path, text.replace('"title": "Rent 2"', '"title": "Rent 2" "x"'), "b.json")
    with pytest.raises(Invalid) as raised:
        read_catalogue(broken)
    assert raised.value.problems[0].source == f"{broken}:20"
    again = text.replace('"title": "Rent 2"', '"title": "Rent 2", "key": "again"')
    repeated = written(tmp_path, again, "r.json")
    with pytest.raises(Invalid) as raised:
        read_catalogue(repeated)
    assert raised.value.problems[0].source == f"{repeated}:18"
