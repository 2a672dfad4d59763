"""Create or drop one PostgreSQL database: `python .ci/pgdb.py create|drop SERVER_URL NAME`."""

import asyncio
import sys

import asyncpg
from sqlalchemy.engine import make_url


async def main(action: str, url: str, name: str) -> None:
    dsn = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        if action == "create":
            await conn.execute(f'CREATE DATABASE "{name}"')
        else:
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await conn.close()


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
