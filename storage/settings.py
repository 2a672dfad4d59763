"""Where the two tiers live, read from the environment (prefix CHAMELEON_).

The server, the CLI and Alembic's env.py all need the database URLs and must agree on them,
defaults included. Alembic cannot import the server package (dependencies flow from `gql`
down to `storage`), so the reader lives here and `gql.settings.Settings` extends it.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class DatabaseSettings(BaseSettings):
    """The tiers' URLs; both default to SQLite files under `data_dir` (zero set-up)."""

    model_config = SettingsConfigDict(env_prefix="CHAMELEON_", extra="ignore")

    data_dir: Path = Field(default=Path("./.chameleon"), description="Embedded SQLite files.")
    template_db_url: str = Field(default="", description="Template tier URL (SQLAlchemy).")
    instance_db_url: str = Field(default="", description="Instance tier URL (SQLAlchemy).")
    sql_echo: bool = False

    @model_validator(mode="after")
    def _default_urls(self) -> DatabaseSettings:
        if not self.template_db_url:
            self.template_db_url = f"sqlite+aiosqlite:///{self.data_dir / 'templates.db'}"
        if not self.instance_db_url:
            self.instance_db_url = f"sqlite+aiosqlite:///{self.data_dir / 'instances.db'}"
        return self

    def url(self, tier: str) -> str:
        """The URL of the tier named `tier` ("template" or "instance")."""
        return self.template_db_url if tier == "template" else self.instance_db_url

    @property
    def embedded(self) -> bool:
        """True when both tiers are SQLite files (the zero set-up default)."""
        return all(url.startswith("sqlite") for url in (self.template_db_url, self.instance_db_url))
