"""`make bench`: run every benchmark, print a table, write `.bench/results.json`."""

from __future__ import annotations

import asyncio
import gc
import json
import os
import platform
import sys
from pathlib import Path
from typing import Any

from tests.bench import (
    cold_start,
    compiled_reads,
    engine,
    fanout,
    nested_read,
    telemetry,
    transitions,
    transitions_batched,
)

# Each key is a label of the table; best cases say so in their name (`identical_`, `bare_`,
# `buffer_append_`), and each has the realistic figure beside it.
TARGETS = {
    ("nested_read", "ratio_to_raw_sql"): ("<=", 5),
    ("transitions_per_s", "sqlite"): (">=", 800),
    ("transitions_per_s", "postgres"): (">=", 600),
    ("transitions_batched_per_s", "sqlite"): (">=", 1_500),
    ("engine_cycles_per_s", "sqlite"): (">=", 300),
    ("telemetry", "buffer_append_per_s"): (">=", 100_000),
    ("telemetry", "api_record_per_s"): (">=", 5_000),
    ("telemetry", "flush_rows_per_s"): (">=", 20_000),
    ("fanout", "identical_p99_ms"): ("<=", 100),
    ("fanout", "distinct_p99_ms"): ("<=", 100),
    ("cold_start", "cold_start_s"): ("<=", 1.0),
    ("cold_start", "health_s"): ("<=", 1.0),
    # Compiled reads within 1.5x of the raw SQL floor (raw req/s over compiled req/s).
    ("compiled_reads", "sqlite.deep.raw_over_compiled"): ("<=", 1.5),
    ("compiled_reads", "sqlite.uows_page.raw_over_compiled"): ("<=", 1.5),
    ("compiled_reads", "postgres.deep.raw_over_compiled"): ("<=", 1.5),
    ("compiled_reads", "postgres.uows_page.raw_over_compiled"): ("<=", 1.5),
    # And at least twice PostGraphile v4's rate on the same data, query and run (n/a: not run).
    ("compiled_reads", "postgres.deep.compiled_over_postgraphile"): (">=", 2),
    ("compiled_reads", "postgres.uows_page.compiled_over_postgraphile"): (">=", 2),
}


def _verdict(value: Any, rule: tuple[str, float]) -> str:
    if value is None:
        return "n/a"
    op, limit = rule
    ok = value <= limit if op == "<=" else value >= limit
    return f"{'met' if ok else 'MISSED'} ({op} {limit})"


def main() -> None:
    results: dict[str, Any] = {}
    steps = [
        ("nested_read", lambda: asyncio.run(nested_read.measure())),
        ("compiled_reads", lambda: asyncio.run(compiled_reads.measure())),
        ("transitions_per_s", lambda: asyncio.run(transitions.measure())),
        ("transitions_batched_per_s", lambda: asyncio.run(transitions_batched.measure())),
        ("engine_cycles_per_s", lambda: asyncio.run(engine.measure())),
        ("telemetry", lambda: asyncio.run(telemetry.measure())),
        ("fanout", lambda: asyncio.run(fanout.measure())),
        ("cold_start", cold_start.measure),
    ]
    for name, run in steps:
        print(f"running {name} ...", file=sys.stderr, flush=True)
        # Each benchmark starts as if run alone: the garbage of the one before would make
        # this process's collections (pauses of the load generator) longer.
        gc.collect()
        results[name] = run()
    results["machine"] = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    out = Path(".bench")
    out.mkdir(exist_ok=True)
    (out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    rows = [
        (f"{name}.{key}" if key else name, figure, TARGETS.get((name, key)))
        for name, value in results.items()
        if name != "machine"
        for key, figure in (value.items() if isinstance(value, dict) else [("", value)])
    ]
    width = max(len("benchmark"), *(len(label) for label, _, _ in rows))
    print(f"{'benchmark':<{width}} {'value':>14}  target")
    for label, figure, rule in rows:
        print(f"{label:<{width}} {figure!s:>14}  {_verdict(figure, rule) if rule else ''}")
    print("written to .bench/results.json")


if __name__ == "__main__":
    main()
