"""The terminal bar chart: eighth-block bars on a terminal, ``#`` bars otherwise."""

from __future__ import annotations

import io

from rich.console import Console

from immersion.cli.chart import bar, print_bars


def test_bars_scale_to_the_largest_value() -> None:
    assert bar(10, 10, 8, unicode=False) == "#" * 8
    assert bar(5, 10, 8, unicode=False) == "#" * 4
    assert bar(10, 10, 4, unicode=True) == "████"
    assert bar(5, 10, 3, unicode=True) == "█▌"  # 1.5 cells: a full block and a half
    assert bar(1, 1000, 10, unicode=True) == "▏"  # tiny but not nothing
    assert bar(1, 1000, 10, unicode=False) == "#"
    assert bar(0, 10, 8, unicode=True) == ""
    assert bar(3, 0, 8, unicode=True) == ""


def _render(terminal: bool, width: int) -> list[str]:
    buffer = io.StringIO()
    console = Console(file=buffer, width=width, force_terminal=terminal, color_system=None)
    rows = [("2026-11-01", 0.0), ("2026-11-02", 30.0), ("2026-11-03", 7.5)]
    print_bars(console, rows, lambda minutes: f"{minutes:g} min")
    return buffer.getvalue().splitlines()


def test_print_bars_fills_the_console_width_on_a_terminal() -> None:
    lines = _render(terminal=True, width=50)
    assert len(lines) == 3
    assert all(len(line) == 50 for line in lines)
    assert "█" in lines[1] and "#" not in "".join(lines)
    assert lines[1].endswith(" 30 min") and lines[0].endswith("  0 min")
    # label, space, bar, space, value (as wide as the widest value, "7.5 min")
    assert lines[1].count("█") == 50 - len("2026-11-02") - len("7.5 min") - 2


def test_print_bars_is_plain_text_when_not_a_terminal() -> None:
    lines = _render(terminal=False, width=40)
    assert all(line.isascii() for line in lines)
    assert lines[1].count("#") == 40 - len("2026-11-02") - len("7.5 min") - 2
    assert lines[2].count("#") == round(lines[1].count("#") / 4)
