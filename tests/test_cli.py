"""The command line as a user runs it: import with a summary and exit codes, demo, help."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import EXAMPLES


def chameleon(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CHAMELEON_DATA_DIR": str(data_dir), "COLUMNS": "200"}
    env.pop("CHAMELEON_TEMPLATE_DB_URL", None)
    env.pop("CHAMELEON_INSTANCE_DB_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "gql", *args],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_import_orders_children_first_and_reports(tmp_path: Path) -> None:
    # The parent is listed first: the command must still import the child before it.
    result = chameleon(
        tmp_path,
        "import",
        str(EXAMPLES / "expense_review.yaml"),
        str(EXAMPLES / "receipt_audit.yaml"),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 of 2 files imported" in result.stdout
    again = chameleon(tmp_path, "import", str(EXAMPLES / "receipt_audit.yaml"))
    assert again.returncode == 0, again.stdout
    assert "unchanged" in again.stdout  # the same content: nothing written


def test_import_rejects_a_bad_file_with_its_rules(tmp_path: Path) -> None:
    result = chameleon(
        tmp_path,
        "import",
        str(EXAMPLES / "receipt_audit.yaml"),
        str(EXAMPLES / "invalid_missing_roles.yaml"),
    )
    assert result.returncode == 1
    for rule in ("R2", "R3", "R4", "R5", "R7"):
        assert rule in result.stdout
    assert "1 of 2 files imported" in result.stdout


def test_demo_loads_once(tmp_path: Path) -> None:
    first = chameleon(tmp_path, "demo", "--uows", "12")
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Loan_Demo" in first.stdout
    second = chameleon(tmp_path, "demo", "--uows", "12")
    assert second.returncode == 1
    assert "exists already" in second.stderr


def test_every_command_has_help(tmp_path: Path) -> None:
    for command in ("migrate", "serve", "import", "demo", "export-schema"):
        result = chameleon(tmp_path, command, "--help")
        assert result.returncode == 0, command
        assert "Usage" in result.stdout
