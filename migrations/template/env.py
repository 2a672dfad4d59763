"""Alembic environment of the template tier."""

from migrations.env_common import run
from storage.models import TemplateBase

run("template", TemplateBase.metadata)
