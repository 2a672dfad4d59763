"""Cold start: from process start to `/health` answering and to the first answered query
on a fresh SQLite data dir (includes creating both tiers), and `chameleon --help` (which
must not load the server's libraries).

Besides wall time, `cold_start_cpu_s` is the CPU time (user + system) the server process
had used when its first query was answered, read from /proc: on a shared machine it moves
far less with the load than wall time does."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from tests.bench.common import median, temporary_dir
from tests.processes import free_port

RUNS = 3


def _cpu_s(pid: int) -> float:
    """User + system CPU seconds of a running process (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _once(checkout: Path | None = None) -> tuple[float, float, float]:
    """Seconds from process start to `/health` answering, and to the first query; and the
    server's CPU seconds by then. `checkout`: run that copy of the project's source (with
    this interpreter and its packages) instead of this one."""
    with temporary_dir() as root:
        port = free_port()
        env = {**os.environ, "CHAMELEON_DATA_DIR": str(root / "data")}
        env.pop("CHAMELEON_TEMPLATE_DB_URL", None)
        env.pop("CHAMELEON_INSTANCE_DB_URL", None)
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-m", "gql", "serve", "--port", str(port)],
            env=env,
            cwd=checkout,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        health: float | None = None
        try:
            while True:
                try:
                    if health is None:
                        answer = httpx.get(f"http://127.0.0.1:{port}/health", timeout=1)
                        if answer.status_code == 200:
                            health = time.perf_counter() - started
                    response = httpx.post(
                        f"http://127.0.0.1:{port}/graphql",
                        json={"query": "{ templates { totalCount } }"},
                        timeout=1,
                    )
                    if response.status_code == 200 and health is not None:
                        answered = time.perf_counter() - started
                        return health, answered, _cpu_s(process.pid)
                except httpx.HTTPError:
                    pass
                if process.poll() is not None:
                    raise RuntimeError("server exited during start-up")
                time.sleep(0.01)
        finally:
            process.terminate()
            process.wait(timeout=30)


def _help() -> float:
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "gql", "--help"], capture_output=True, check=True, timeout=60
    )
    return time.perf_counter() - started


def measure() -> dict[str, Any]:
    runs = [_once() for _ in range(RUNS)]
    return {
        "cold_start_s": round(median([query for _, query, _ in runs]), 2),
        "cold_start_cpu_s": round(median([cpu for _, _, cpu in runs]), 2),
        "health_s": round(median([health for health, _, _ in runs]), 2),
        "cli_help_s": round(median([_help() for _ in range(RUNS)]), 2),
    }


def compare(against: Path, runs: int) -> dict[str, Any]:
    """This checkout and another (`--against DIR`, e.g. `git archive main`) in turn, run by
    run, so both see the same load; each figure's median, and the medians of the ratios
    this / other taken pair by pair."""
    pairs = [(_once(), _once(against)) for _ in range(runs)]
    figures: dict[str, Any] = {}
    for index, name in enumerate(("health_s", "cold_start_s", "cold_start_cpu_s")):
        ours = [mine[index] for mine, _ in pairs]
        theirs = [other[index] for _, other in pairs]
        figures[name] = {
            "this": round(median(ours), 3),
            "against": round(median(theirs), 3),
            "ratio": round(median([a / b for a, b in zip(ours, theirs, strict=True)]), 3),
            "this_range": [round(min(ours), 3), round(max(ours), 3)],
            "against_range": [round(min(theirs), 3), round(max(theirs), 3)],
        }
    return figures


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--against", type=Path, help="another checkout to compare with")
    parser.add_argument("--runs", type=int, default=RUNS)
    arguments = parser.parse_args()
    if arguments.against is None:
        print(measure())
    else:
        for name, figure in compare(arguments.against.resolve(), arguments.runs).items():
            print(name, json.dumps(figure))
