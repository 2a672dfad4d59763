"""`chameleon check` as an operator runs it, on data written through the services and then
corrupted behind the API's back with plain SQL."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.databases import TierUrls
from tests.processes import chameleon
from tests.raw_sql import RawConnection


async def _units(urls: TierUrls) -> list[tuple[object, object]]:
    async with RawConnection(urls) as raw:
        return await raw.fetch(
            'SELECT uow_id, instance_id FROM "UnitsOfWork" ORDER BY created_at, uow_id'
        )


async def test_check_passes_a_healthy_instance_and_names_corrupted_units(
    db_urls: TierUrls, tmp_path: Path
) -> None:
    loaded = chameleon(db_urls, tmp_path, "demo", "--uows", "25")
    assert loaded.returncode == 0, loaded.stdout + loaded.stderr
    units = await _units(db_urls)
    instance = str(uuid.UUID(str(units[0][1])))
    healthy = chameleon(db_urls, tmp_path, "check", "--instance", instance)
    assert healthy.returncode == 0, healthy.stdout + healthy.stderr
    assert f"{len(units)} units of work checked: 0 findings" in healthy.stdout

    async with RawConnection(db_urls) as raw:  # the table allows UPDATE; history does not
        moved = await raw.fetch(
            'SELECT uow_id FROM "UnitsOfWorkHistory" GROUP BY uow_id HAVING count(*) >= 3'
        )
        versioned = moved[0][0]
        hashed = next(uow for uow, _ in units if uow != versioned)
        await raw.execute(
            f"UPDATE \"UnitsOfWork\" SET content_hash = '{'0' * 64}' WHERE uow_id = '{hashed}'"
        )
        await raw.execute(f"UPDATE \"UnitsOfWork\" SET version = 1 WHERE uow_id = '{versioned}'")
    corrupted = chameleon(db_urls, tmp_path, "check", "--instance", instance)
    assert corrupted.returncode == 1, corrupted.stdout + corrupted.stderr
    lines = corrupted.stdout.splitlines()
    hash_lines = [x for x in lines if str(uuid.UUID(str(hashed))) in x]
    version_lines = [x for x in lines if str(uuid.UUID(str(versioned))) in x]
    assert any(" hash " in x for x in hash_lines), corrupted.stdout
    assert any(" row " in x for x in hash_lines), corrupted.stdout
    assert any(" version " in x for x in version_lines), corrupted.stdout
    assert "findings in 2 units" in corrupted.stdout
    every_instance = chameleon(db_urls, tmp_path, "check")
    assert every_instance.returncode == 1


def test_check_explains_itself_and_refuses_an_unknown_instance(
    db_urls: TierUrls, tmp_path: Path
) -> None:
    helped = chameleon(db_urls, tmp_path, "check", "--help")
    assert helped.returncode == 0
    assert "history must be one chain" in helped.stdout
    assert "--instance" in helped.stdout
    unknown = chameleon(db_urls, tmp_path, "check", "--instance", str(uuid.uuid4()))
    assert unknown.returncode == 2
    assert "no instance with id" in unknown.stderr
    malformed = chameleon(db_urls, tmp_path, "check", "--instance", "nope")
    assert malformed.returncode == 2
