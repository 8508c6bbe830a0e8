"""``python -m benchmarks``: the performance harness of issue 5.

Per backend, in one process and one run: generate the seeded history, bulk-load it, run one
maintenance pass, measure the size on disk, every analytics read, tracker ingest beside the
raw driver baseline, and the cost of one recording call; then save the JSON result, print the
target lines (PASS/FAIL) and the markdown tables. Every database the run creates (SQLite file,
PostgreSQL schema, MySQL database) is removed at the end.

The full runs (by hand, on a quiet machine)::

    python -m benchmarks --backends sqlite,postgresql,mysql --events 1000000
    python -m benchmarks --backends sqlite,postgresql --events 10000000

A smoke run (CI) at 20k events writes its JSON outside the repository::

    python -m benchmarks --backends sqlite,postgresql,mysql --events 20000 \\
        --runs 20 --calls 2000 --ingest-writes 1000 --out /tmp/bench-smoke
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from .backends import BACKENDS, prepared_backend
from .driver_floor import measure_driver_floor
from .generator import DEFAULT_SEED, ZONE, History
from .hotpath import measure_hot_path
from .ingest import measure_ingest
from .load import DEFAULT_BATCH, load_history
from .maintenance import run_maintenance
from .reads import ReadPools, measure_reads
from .report import markdown, save
from .size import measure_size
from .targets import evaluate
from .timing import cpu_calibration_ms

STAGES = ("maintenance", "reads", "ingest", "hotpath")
DEFAULT_OUT = Path(__file__).resolve().parent / "results"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Measure the stores against the performance targets of issue 5.",
    )
    parser.add_argument(
        "--backends",
        default="sqlite",
        help=f"comma-separated, from {', '.join(BACKENDS)} (default: sqlite)",
    )
    parser.add_argument("--events", type=int, default=1_000_000, help="default: 1,000,000")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, help="directory of the JSON results"
    )
    parser.add_argument("--runs", type=int, default=200, help="runs per read (default: 200)")
    parser.add_argument(
        "--calls", type=int, default=20_000, help="timed calls per record_* (default: 20,000)"
    )
    parser.add_argument(
        "--ingest-writes", type=int, default=50_000, help="events per ingest turn (3 turns a side)"
    )
    parser.add_argument("--batch", type=int, default=DEFAULT_BATCH, help="bulk load batch")
    parser.add_argument(
        "--skip", default="", help=f"comma-separated stages to skip: {', '.join(STAGES)}"
    )
    parser.add_argument("--workdir", type=Path, help="where SQLite files go (default: a temp dir)")
    parser.add_argument(
        "--postgresql-url", help="admin URL (default: $IMMERSION_TEST_POSTGRESQL_URL or local)"
    )
    parser.add_argument(
        "--mysql-url", help="admin URL (default: $IMMERSION_TEST_MYSQL_URL or local)"
    )
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target FAILs")
    return parser


def _log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _machine() -> dict[str, Any]:
    model = platform.processor() or platform.machine()
    memory_bytes = None
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory_bytes = int(line.split()[1]) * 1024
                break
    except OSError:  # not Linux: keep what platform knows
        pass
    return {
        "platform": platform.platform(),
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(memory_bytes / 2**30, 1) if memory_bytes else None,
        "python": platform.python_version(),
        # a busy machine inflates every tail: the full runs want this near zero
        "load_average_1m": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "python_loop_ms": cpu_calibration_ms(),
    }


def _versions() -> dict[str, str | None]:
    found: dict[str, str | None] = {}
    for package in ("immersion-tracker", "sqlalchemy", "psycopg", "pymysql", "mysqlclient"):
        try:
            found[package] = version(package)
        except PackageNotFoundError:
            found[package] = None
    return found


def _command(argv: Sequence[str]) -> str:
    """The command line, with server URLs (which may hold passwords) left out."""
    shown: list[str] = []
    hide_next = False
    for argument in argv:
        if hide_next:
            shown.append("<url>")
            hide_next = False
        elif argument in ("--postgresql-url", "--mysql-url"):
            shown.append(argument)
            hide_next = True
        elif argument.startswith(("--postgresql-url=", "--mysql-url=")):
            shown.append(argument.split("=", 1)[0] + "=<url>")
        else:
            shown.append(argument)
    return " ".join(["python -m benchmarks", *shown])


def run_backend(kind: str, args: argparse.Namespace, workdir: Path, command: str) -> dict[str, Any]:
    """Every measurement on one backend (see the module docstring)."""
    skip = {stage.strip() for stage in args.skip.split(",") if stage.strip()}
    admin_url = {"postgresql": args.postgresql_url, "mysql": args.mysql_url}.get(kind)
    began = time.perf_counter()
    with prepared_backend(kind, workdir, admin_url=admin_url) as backend:
        result: dict[str, Any] = {
            "backend": kind,
            "events": args.events,
            "seed": args.seed,
            "timezone": ZONE,
            "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "command": command,
            "machine": _machine(),
            "versions": _versions(),
            "server_version": backend.server_version(),
            "driver": backend.driver,
        }
        store = backend.open_store()
        try:
            history = History(args.events, args.seed)
            _log(f"{kind}: loading {args.events:,} events")
            result["load"] = load_history(
                store, history, batch_size=args.batch, progress=lambda m: _log(f"{kind}: {m}")
            )
            if "maintenance" not in skip:
                _log(f"{kind}: maintenance pass")
                result["maintenance"] = run_maintenance(store, history)
            result["size"] = measure_size(backend, args.events)
            if "reads" not in skip:
                _log(f"{kind}: reads ({args.runs} runs each)")
                pools = ReadPools.of(history)
                result["reads"] = measure_reads(store, pools, runs=args.runs, seed=args.seed)
                _log(f"{kind}: the same reads' statements through the raw driver")
                result["reads"]["driver"] = measure_driver_floor(
                    store, backend, pools, runs=args.runs, seed=args.seed
                )
            if "ingest" not in skip:
                _log(f"{kind}: ingest ({args.ingest_writes:,} writes per side)")
                result["ingest"] = measure_ingest(backend, store, args.ingest_writes)
            if "hotpath" not in skip:
                _log(f"{kind}: record_* cost ({args.calls:,} calls each)")
                result["hot_path"] = measure_hot_path(backend, args.calls)
        finally:
            store.close()
        result["machine"]["python_loop_ms_end"] = cpu_calibration_ms()
        _log(f"{kind}: measured; removing its database")
    _log(f"{kind}: done in {time.perf_counter() - began:.1f} s")
    result["targets"] = [check.as_dict() for check in evaluate(result)]
    return result


def main(argv: Sequence[str] | None = None) -> int:
    arguments = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(arguments)
    kinds = [kind.strip() for kind in args.backends.split(",") if kind.strip()]
    unknown = [kind for kind in kinds if kind not in BACKENDS]
    if unknown or not kinds:
        _parser().error(f"unknown backend(s) {unknown}; expected some of {', '.join(BACKENDS)}")
    if args.events < 1 or args.runs < 1 or args.calls < 1 or args.ingest_writes < 1:
        _parser().error("--events, --runs, --calls and --ingest-writes must be at least 1")
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="immersion-bench-"))
    workdir.mkdir(parents=True, exist_ok=True)
    command = _command(arguments)
    results = []
    failed = False
    try:
        for kind in kinds:
            result = run_backend(kind, args, workdir, command)
            path = save(args.out, result)
            results.append(result)
            print(f"\n{kind}, {args.events:,} events -> {path}")
            for check in evaluate(result):
                print(f"  {check.line()}")
                failed = failed or check.status == "FAIL"
    finally:
        if args.workdir is None:
            shutil.rmtree(workdir, ignore_errors=True)
    print()
    print(markdown(results))
    return 1 if failed and args.strict else 0


if __name__ == "__main__":
    sys.exit(main())
