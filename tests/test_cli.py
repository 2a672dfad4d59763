"""The command line as a user runs it: import with a summary and exit codes, demo, help."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests import processes
from tests.conftest import EXAMPLES


def chameleon(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command on the embedded tiers kept in `data_dir`."""
    return processes.chameleon(None, data_dir, *args)


def import_examples(data_dir: Path, *names: str) -> subprocess.CompletedProcess[str]:
    """`chameleon import` of shared example files, named in the order the command gets them."""
    return chameleon(data_dir, "import", *(str(EXAMPLES / name) for name in names))


def test_import_orders_children_first_and_reports(tmp_path: Path) -> None:
    # The parent is listed first: the command must still import the child before it.
    result = import_examples(tmp_path, "expense_review.yaml", "receipt_audit.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 files: 2 imported, 0 unchanged, 0 refused" in result.stdout
    # Importing a stored template version again writes nothing and refuses nothing.
    again = import_examples(tmp_path, "receipt_audit.yaml")
    assert again.returncode == 0, again.stdout + again.stderr
    assert "1 file: 0 imported, 1 unchanged, 0 refused" in again.stdout
    # The same name and version with other content is refused.
    changed = tmp_path / "changed.yaml"
    text = (EXAMPLES / "receipt_audit.yaml").read_text(encoding="utf-8")
    changed.write_text(text.replace("description:", "description: Changed.", 1), "utf-8")
    assert text != changed.read_text(encoding="utf-8")
    refused = chameleon(tmp_path, "import", str(changed))
    assert refused.returncode == 1
    assert "already exists" in refused.stdout
    assert "1 file: 0 imported, 0 unchanged, 1 refused" in refused.stdout


def test_import_counts_a_file_named_twice_once(tmp_path: Path) -> None:
    """`chameleon import f.yaml f.yaml` writes one template and says so (issue 12)."""
    result = import_examples(tmp_path, "receipt_audit.yaml", "receipt_audit.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 files: 1 imported, 1 unchanged, 0 refused" in result.stdout
    assert "same file as" in result.stdout
    listed = chameleon(tmp_path, "export", "Receipt_Audit")
    assert listed.returncode == 0, listed.stderr


def test_import_rejects_a_bad_file_with_its_rules(tmp_path: Path) -> None:
    result = import_examples(tmp_path, "receipt_audit.yaml", "invalid_missing_roles.yaml")
    assert result.returncode == 1
    for rule in ("R2", "R3", "R4", "R5", "R7"):
        assert rule in result.stdout
    assert "2 files: 1 imported, 0 unchanged, 1 refused" in result.stdout


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


def test_the_served_app_runs_the_collector_again(tmp_path: Path) -> None:
    """`serve` pauses the cyclic collector while it starts; the app factory uvicorn calls
    turns it back on, with what start-up made frozen out of its generations."""
    script = (
        "import gc\n"
        "gc.disable()\n"
        "from gql.cli import serving_app\n"
        "app = serving_app()\n"
        "assert gc.isenabled(), 'collector still paused'\n"
        "assert gc.get_freeze_count() > 10_000, gc.get_freeze_count()\n"
        "assert app.state.schema is not None\n"
    )
    env = {**os.environ, "CHAMELEON_DATA_DIR": str(tmp_path)}
    result = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
