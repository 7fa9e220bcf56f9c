"""Generated command lines over every command's arguments and options (#20): a
person may type anything, and whatever they type gets an answer (exit 0, 1 or
2 with a message), never a Python traceback.

Budgets are fixed and derandomised: CI runs the same command lines every time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cli import main
from tests.conftest import Runner
from tests.test_docs import COMMANDS

#: Commands that start long-running or interactive work, not input handling:
#: serving, loading the demo, rebuilding the index and the notification worker
#: (which runs until stopped without --once; tests/notify) are tested elsewhere.
SKIPPED = {"catalogue serve", "catalogue demo", "catalogue index rebuild", "catalogue notify run"}
FUZZED = [(path, command) for path, command in COMMANDS if path not in SKIPPED]

#: Text a person might type, including what breaks naive code.
WORDS = st.one_of(
    st.sampled_from(
        ["", " ", "-1", "0", "1", "99999999999999999999", "2025-13-45", "2026-12-01", "x" * 5000,
         "a\x00b", "a\nb", "../../etc/passwd", "/nonexistent/dir/x", "rent-accounts",
         "rpt-housing-arrears-dashboard", "OFFICIAL", "json", "csv", "☃", "%s", "{}", "[]"]
    ),
    st.text(max_size=30),
)  # fmt: skip


#: Where -o may point: relative names (the test runs in its tmp_path) and
#: folders that do not exist; never an absolute path that does.
OUTPUT_PATHS = st.sampled_from(
    ["out.yaml", "out.dot", "", " ", ".", "no/such/dir/x.yaml", "/nonexistent/dir/x.yaml"]
)


@st.composite
def command_lines(draw: Any) -> list[str]:
    path, command = draw(st.sampled_from(FUZZED))
    words = path.split()[1:]
    for param in command.params:
        if isinstance(param, click.Argument):
            words.append(draw(WORDS))
        elif isinstance(param, click.Option) and draw(st.booleans()):
            name = param.opts[-1]
            if param.is_flag:
                words.append(name)
            elif isinstance(param.type, click.Path):  # files to write: never outside tmp_path
                words += [name, draw(OUTPUT_PATHS)]
            elif isinstance(param.type, click.Choice) and draw(st.booleans()):
                words += [name, draw(st.sampled_from(list(param.type.choices)))]
            else:
                words += [name, draw(WORDS)]
    return words


@settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(words=command_lines())
def test_no_command_line_gives_a_traceback(
    demo_run: Runner, words: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # generated -o paths land here, never in the project
    result = demo_run.runner.invoke(main, words, env=demo_run.env, input="", catch_exceptions=True)
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise AssertionError(f"catalogue {words!r} raised {result.exception!r}") from (
            result.exception
        )
    assert result.exit_code in (0, 1, 2), (words, result.exit_code, result.output)
    assert "Traceback" not in result.output, (words, result.output)
