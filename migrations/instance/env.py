"""Alembic environment of the instance tier."""

from migrations.env_common import run
from storage.models import InstanceBase

run("instance", InstanceBase.metadata)
