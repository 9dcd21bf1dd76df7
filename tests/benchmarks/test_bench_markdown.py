"""The benchmarks' Markdown formatting."""

from __future__ import annotations

import pytest

from benchmarks import markdown as md


def test_number_formats() -> None:
    assert md.fmt_seconds(3.14159) == "3.14 s"
    assert md.fmt_seconds(12.34, 1) == "12.3 s"
    assert md.fmt_ms(0.2504) == "250 ms"
    assert md.fmt_ratio(0.456) == "0.46"
    assert md.fmt_number(6.0) == "6"
    assert md.fmt_number(2.25, 2) == "2.25"
    assert md.fmt_bytes(3 * 1024 * 1024) == "3.0 MiB"


def test_unknown_values_show_as_not_available() -> None:
    for formatter in (md.fmt_seconds, md.fmt_ms, md.fmt_ratio, md.fmt_number):
        assert formatter(None) == "n/a"
    assert md.fmt_bytes(None) == "n/a"


def test_table_layout() -> None:
    text = md.table(["a", "b"], [["1", "2"], ["3", "4"]])
    assert text.splitlines() == ["| a | b |", "|---|---|", "| 1 | 2 |", "| 3 | 4 |"]


def test_table_escapes_pipes_and_newlines() -> None:
    text = md.table(["x"], [["a|b\nc"]])
    assert text.splitlines()[-1] == "| a\\|b c |"


def test_table_rejects_ragged_rows() -> None:
    with pytest.raises(ValueError, match="expected 2"):
        md.table(["a", "b"], [["only one"]])
