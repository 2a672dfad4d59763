"""The database itself refuses to rewrite history, for any client connection (SPEC 3.3)."""

from __future__ import annotations

import pytest

from migrations.ddl import APPEND_ONLY_KEYS
from storage.engines import Tiers
from tests.databases import TierUrls
from tests.factories import seed_uow
from tests.raw_sql import RawConnection

# A harmless column to "update" per table, and the key used for upserts.
TOUCH = {"UOW_Attributes": "key", "Interaction_Logs": "log_type", "UnitsOfWorkHistory": "reasoning"}


def rewrites(table: str, dialect: str) -> dict[str, str]:
    """Every way a client could try to change or remove an existing row of `table`."""
    column = TOUCH[table]
    key = ", ".join(f'"{c}"' for c in APPEND_ONLY_KEYS[table][0])
    statements = {
        "update": f'UPDATE "{table}" SET "{column}" = "{column}"',
        "delete": f'DELETE FROM "{table}"',
        "upsert": f'INSERT INTO "{table}" SELECT * FROM "{table}" WHERE true'
        f' ON CONFLICT ({key}) DO UPDATE SET "{column}" = excluded."{column}"',
    }
    if dialect == "sqlite":
        statements["insert-or-replace"] = (
            f'INSERT OR REPLACE INTO "{table}" SELECT * FROM "{table}"'
        )
        statements["replace"] = f'REPLACE INTO "{table}" SELECT * FROM "{table}"'
    else:
        statements["truncate"] = f'TRUNCATE "{table}"'
        statements["truncate-cascade"] = f'TRUNCATE "{table}" CASCADE'
    return statements


@pytest.mark.parametrize("table", sorted(APPEND_ONLY_KEYS))
async def test_rewrites_are_refused_for_any_client(
    tiers: Tiers, db_urls: TierUrls, table: str
) -> None:
    await seed_uow(tiers)
    async with RawConnection(db_urls) as raw:
        before = await raw.fetch(f'SELECT * FROM "{table}"')
        assert len(before) == 1
        for verb, sql in rewrites(table, db_urls.dialect).items():
            with pytest.raises(raw.refusal) as refused:
                await raw.execute(sql)
            assert "append-only" in str(refused.value), verb
        assert await raw.fetch(f'SELECT * FROM "{table}"') == before


async def test_new_rows_are_still_accepted(tiers: Tiers, db_urls: TierUrls) -> None:
    await seed_uow(tiers, "first")
    await seed_uow(tiers, "second")
    async with RawConnection(db_urls) as raw:
        for table in APPEND_ONLY_KEYS:
            assert len(await raw.fetch(f'SELECT * FROM "{table}"')) == 2
