"""Horizontal bar charts for the terminal.

On a terminal the bars are drawn with Unicode block elements in eighths of a cell, so small
differences still show; piped or redirected, they are plain ``#`` characters. Bars are scaled
so the largest value fills the space the console width leaves after labels and values.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from rich.console import Console
from rich.text import Text

__all__ = ["bar", "print_bars"]

_EIGHTHS = " ▏▎▍▌▋▊▉"
_FULL = "█"
# Never squeeze the bars below this many cells, however narrow the console claims to be.
MIN_BAR_CELLS = 10


def bar(value: float, largest: float, cells: int, *, unicode: bool) -> str:
    """A bar ``value / largest`` of ``cells`` wide (a non-zero value always shows a sliver)."""
    if largest <= 0 or value <= 0 or cells <= 0:
        return ""
    if not unicode:
        return "#" * max(1, round(value / largest * cells))
    eighths = max(1, round(value / largest * cells * 8))
    full, rest = divmod(eighths, 8)
    return _FULL * full + (_EIGHTHS[rest] if rest else "")


def print_bars(
    console: Console,
    rows: Sequence[tuple[str, float]],
    format_value: Callable[[float], str],
    *,
    style: str = "cyan",
) -> None:
    """Print one ``label  bar  value`` line per ``(label, value)`` row."""
    if not rows:
        return
    terminal = console.is_terminal
    label_width = max(len(label) for label, _ in rows)
    values = [format_value(value) for _, value in rows]
    value_width = max(len(text) for text in values)
    cells = max(MIN_BAR_CELLS, console.width - label_width - value_width - 2)
    largest = max(value for _, value in rows)
    for (label, value), text in zip(rows, values, strict=True):
        drawn = bar(value, largest, cells, unicode=terminal)
        line = Text(f"{label:<{label_width}} ")
        line.append(f"{drawn:<{cells}}", style=style if terminal else "")
        line.append(f" {text:>{value_width}}")
        console.print(line, no_wrap=True, overflow="crop")
