"""Results: one JSON file per backend and run, and markdown tables for people.

``benchmarks/results/<backend>-<events>-<date>.json`` holds everything a run measured on one
backend, the machine and versions it ran on, the command, and the target lines. Print the
markdown tables of saved results (for ``docs/performance.md``) with::

    python -m benchmarks.report benchmarks/results/*-1000000-*.json
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["markdown", "result_path", "save"]


def result_path(out: Path, result: dict[str, Any]) -> Path:
    return out / f"{result['backend']}-{result['events']}-{result['date'][:10]}.json"


def save(out: Path, result: dict[str, Any]) -> Path:
    """Write ``result`` as JSON under ``out``; return the file."""
    out.mkdir(parents=True, exist_ok=True)
    path = result_path(out, result)
    path.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return path


def _number(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.3f}" if value < 10 else f"{value:,.1f}"
    return f"{value:,}"


def _table(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += [
        "| " + " | ".join(_number(c) if not isinstance(c, str) else c for c in row) + " |"
        for row in rows
    ]
    return lines


def _status_of(result: dict[str, Any]) -> dict[str, str]:
    return {check["name"]: check["status"] for check in result.get("targets", [])}


def _calibration(machine: dict[str, Any]) -> str:
    """The CPU calibration (``timing.cpu_calibration_ms``), for results that have it."""
    start, end = machine.get("python_loop_ms"), machine.get("python_loop_ms_end")
    if start is None:
        return ""
    return f"; Python loop {start} ms at the start, {end} ms at the end (lower is faster)"


def _backend_section(result: dict[str, Any]) -> list[str]:
    status = _status_of(result)
    lines = [f"### {result['backend']}: {result['events']:,} events ({result['date'][:10]})", ""]
    machine = result["machine"]
    lines.append(
        f"Machine: {machine['cpu']}, {machine['cores']} cores, {machine['memory_gb']} GB, "
        f"Python {machine['python']}, load average {machine.get('load_average_1m')} at the start"
        + _calibration(machine)
        + (f"; server: {result['server_version']}" if result.get("server_version") else "")
        + (f"; driver: {result['driver']}" if result.get("driver") else "")
    )
    lines += [f"Command: `{result['command']}`", ""]
    load = result.get("load")
    if load:
        lines.append(
            f"- bulk load: {load['writes']:,} writes ({load['events']:,} events, "
            f"{load['samples']:,} samples, {load['sessions']:,} sessions, {load['videos']:,} "
            f"videos) in {load['seconds_in_store']:,} s: **{_number(load['writes_per_s'])} "
            f"writes/s** ({_number(load['events_per_s'])} events/s), batches of "
            f"{load['batch_size']:,}"
        )
    size = result.get("size")
    if size:
        lines.append(
            f"- size on disk: {size['bytes'] / 1e6:,.1f} MB, **{size['bytes_per_event']} "
            f"bytes/event**"
        )
    maintenance = result.get("maintenance")
    if maintenance:
        steps = ", ".join(f"{k} {v} s" for k, v in maintenance["steps_seconds"].items())
        lines.append(
            f"- maintenance pass: **{maintenance['seconds']} s** "
            f"[{status.get('maintenance pass', '')}] ({steps}); a second pass with nothing "
            f"due: {maintenance['second_pass_seconds']} s"
        )
    ingest = result.get("ingest")
    if ingest:
        tracker, baseline = ingest["tracker"], ingest.get("baseline")
        rate = _number(tracker["writes_per_s"])
        text = f"- ingest (batches of {ingest['batch_size']}): tracker **{rate} writes/s**"
        if baseline:
            text += (
                f", raw baseline {_number(baseline['writes_per_s'])} writes/s, ratio "
                f"**{ingest['ratio']}** [{status.get('tracker ingest / raw baseline', '')}]"
            )
        if ingest.get("turn_ratios"):
            turns = ", ".join(str(ratio) for ratio in ingest["turn_ratios"])
            text += f" (median of {ingest['rounds']} turns each; ratio per turn: {turns})"
        lines.append(text)
    lines.append("")
    reads = result.get("reads")
    if reads:
        # the raw driver's replay of the same statements (driver_floor), when measured
        floor = reads.get("driver") or {}
        header = ["read", "p50 ms", "p95 ms", "p99 ms", "target"]
        if floor:
            header += ["driver p50 ms", "driver p95 ms"]
        rows = []
        for name, s in reads["reads"].items():
            row = [name, s["p50"], s["p95"], s["p99"], status.get(f"read {name} p95", "")]
            if floor:
                row += [(floor.get(name) or {}).get("p50"), (floor.get(name) or {}).get("p95")]
            rows.append(row)
        rows += [
            [name, None, None, None, "missing"] + [None] * (len(header) - 5)
            for name in reads["missing"]
        ]
        lines += [*_table(header, rows), ""]
    hot = result.get("hot_path")
    if hot:
        rows = []
        for state in ("free", "locked"):
            measured = hot.get(state)
            if not measured:
                continue
            for call in ("record_subtitle_line", "record_playback_position"):
                s = measured[call]
                rows.append(
                    [
                        f"{call} ({state})",
                        s["p50"],
                        s["p99"],
                        status.get(f"{call} p99 ({state})", ""),
                    ]
                )
        reference = hot.get("reference")
        if reference:
            name = f"plain function, same median (x{reference['repetitions']}; no tracker)"
            rows.append([name, reference["p50"], reference["p99"], "INFO"])
        lines += [*_table(["call", "median µs", "p99 µs", "target"], rows), ""]
    return lines


def _comparison(results: Sequence[dict[str, Any]]) -> list[str]:
    """p95 of every read side by side, one column per backend."""
    names: list[str] = []
    for result in results:
        for name in (result.get("reads") or {}).get("reads", {}):
            if name not in names:
                names.append(name)
    header = ["read (p95 ms)"] + [f"{r['backend']} {r['events']:,}" for r in results]
    rows = [
        [name]
        + [((r.get("reads") or {}).get("reads", {}).get(name) or {}).get("p95") for r in results]
        for name in names
    ]
    return [*_table(header, rows), ""]


def markdown(results: Sequence[dict[str, Any]]) -> str:
    """Markdown tables of ``results`` (one section per backend, plus a comparison)."""
    lines: list[str] = []
    if len(results) > 1:
        lines += _comparison(results)
    for result in results:
        lines += _backend_section(result)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Print saved benchmark results as markdown.")
    parser.add_argument("files", nargs="+", type=Path)
    args = parser.parse_args(argv)
    results = [json.loads(path.read_text(encoding="utf-8")) for path in args.files]
    print(markdown(results))


if __name__ == "__main__":
    main()
