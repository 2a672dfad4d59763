"""Safe defaults (issue 13): anonymous full access is served on a loopback address only.

`chameleon serve` runs as an operator runs it, in a child process."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from gql.exposure import is_loopback
from tests.databases import TierUrls
from tests.processes import chameleon, free_port, running_server


@pytest.mark.parametrize("host", ["0.0.0.0", "::"])
async def test_binding_off_the_loopback_without_auth_refuses_to_start(
    db_urls: TierUrls, tmp_path: Path, host: str
) -> None:
    result = chameleon(db_urls, tmp_path, "serve", "--host", host, "--port", str(free_port()))
    assert result.returncode == 2, result.stdout + result.stderr
    assert "CHAMELEON_AUTH_SECRET" in result.stderr
    assert "--insecure-anonymous" in result.stderr
    assert "Uvicorn running" not in result.stdout + result.stderr


async def test_insecure_anonymous_starts_and_warns(db_urls: TierUrls) -> None:
    with running_server(db_urls, args=["--host", "0.0.0.0", "--insecure-anonymous"]) as server:
        async with httpx.AsyncClient() as http:
            health = await http.get(f"http://127.0.0.1:{server.port}/health")
        assert health.status_code == 200
        server.terminate()
        output = server.process.stdout.read() if server.process.stdout else ""
    assert "WARNING: serving anonymous full access on '0.0.0.0'" in output


async def test_the_setting_overrides_too_and_warns(db_urls: TierUrls) -> None:
    with running_server(db_urls, args=["--host", "0.0.0.0"], insecure_anonymous="true") as server:
        server.terminate()
        output = server.process.stdout.read() if server.process.stdout else ""
    assert "WARNING: serving anonymous full access" in output


async def test_auth_configured_starts_off_the_loopback_without_warning(db_urls: TierUrls) -> None:
    with running_server(db_urls, args=["--host", "0.0.0.0"], auth_secret="s" * 32) as server:
        server.terminate()
        output = server.process.stdout.read() if server.process.stdout else ""
    assert "WARNING" not in output


async def test_loopback_needs_nothing(db_urls: TierUrls) -> None:
    with running_server(db_urls, args=["--host", "127.0.0.1"]) as server:
        server.terminate()
        output = server.process.stdout.read() if server.process.stdout else ""
    assert "WARNING" not in output


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.0.2", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("", False),
        ("192.168.1.10", False),
        ("no-such-host.invalid", False),
    ],
)
def test_what_counts_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
