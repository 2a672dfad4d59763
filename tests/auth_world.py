"""Two instances and callers of every kind, over a real server with auth on, for the tests of
callers and scopes (tests/test_auth_*.py)."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx
from starlette.applications import Starlette

from gql.app import create_app
from gql.auth import mint
from gql.settings import Settings
from tests.client import GraphQLClient
from tests.conftest import EXAMPLES
from tests.databases import TierUrls
from tests.engine_client import INSTANTIATE, START
from tests.live_server import LiveServer, serve
from tests.scenario import import_examples, mutate

SECRET = "test-secret-for-callers-and-scopes-0123456789"
ISSUER = "chameleon-tests"
AUDIENCE = "chameleon-api"
EXAMPLE_YAML = (EXAMPLES / "receipt_audit.yaml").read_text()

MAP = """query($id: ID!) {
  instance(id: $id) {
    workflows { id isMaster roles { id name } interactions { id name } }
    actors { id name assignments { id role { name } } }
  }
}"""
CHECKOUT = """mutation($input: CheckoutInput!) {
  checkout(input: $input) { uow { id } errors { code message } }
}"""


def auth_settings(urls: TierUrls) -> Settings:
    return Settings(
        template_db_url=urls.template,
        instance_db_url=urls.instance,
        auth_secret=SECRET,
        auth_issuer=ISSUER,
        auth_audience=AUDIENCE,
    )


def token(*scopes: str, subject: str = "tester", ttl_s: int = 600) -> str:
    return mint(SECRET, scopes, subject=subject, ttl_s=ttl_s, issuer=ISSUER, audience=AUDIENCE)


@contextlib.asynccontextmanager
async def secured_server(urls: TierUrls) -> AsyncIterator[LiveServer]:
    application: Starlette = create_app(auth_settings(urls))
    async with serve(application) as server:
        yield server


@contextlib.asynccontextmanager
async def client_of(server: LiveServer, bearer: str | None) -> AsyncIterator[GraphQLClient]:
    headers = {} if bearer is None else {"Authorization": f"Bearer {bearer}"}
    async with httpx.AsyncClient(
        base_url=f"http://127.0.0.1:{server.port}", headers=headers, timeout=30
    ) as http:
        yield GraphQLClient(http)


@dataclass
class Side:
    """One instance as the tests use it: its ids, and units its first actor holds."""

    name: str
    instance_id: str = ""
    workflow_id: str = ""
    roles: dict[str, str] = field(default_factory=dict)
    interactions: dict[str, str] = field(default_factory=dict)
    actors: dict[str, str] = field(default_factory=dict)
    assignment_id: str = ""  # of the second actor
    held: list[str] = field(default_factory=list)

    @property
    def actor(self) -> str:
        """The actor an actor-bound token of this side acts as."""
        return self.actors[f"{self.name}_worker"]

    @property
    def other_actor(self) -> str:
        return self.actors[f"{self.name}_helper"]


@dataclass
class World:
    template_ids: dict[str, str]
    own: Side
    other: Side


async def build_world(admin: GraphQLClient) -> World:
    """Both example templates; instances A and B, each with a worker (Line_Splitter) and a
    helper actor."""
    scenario = type("S", (), {"template_ids": {}})()
    await import_examples(admin, scenario)  # type: ignore[arg-type]
    sides = []
    for name in ("A", "B"):
        side = Side(name)
        payload = await mutate(
            admin,
            INSTANTIATE,
            {
                "input": {
                    "templateName": "Expense_Review",
                    "name": f"Expenses {name}",
                    "actors": [
                        {
                            "name": f"{name}_worker",
                            "identityKey": f"{name}-worker",
                            "type": "AI_AGENT",
                            "roles": ["Line_Splitter"],
                        },
                        {
                            "name": f"{name}_helper",
                            "identityKey": f"{name}-helper",
                            "type": "HUMAN",
                            "roles": ["Fixer"],
                        },
                    ],
                }
            },
        )
        side.instance_id = payload["instance"]["id"]
        data = (await admin.data(MAP, {"id": side.instance_id}))["instance"]
        for workflow in data["workflows"]:
            if workflow["isMaster"]:
                side.workflow_id = workflow["id"]
                side.roles = {r["name"]: r["id"] for r in workflow["roles"]}
                side.interactions = {i["name"]: i["id"] for i in workflow["interactions"]}
        side.actors = {a["name"]: a["id"] for a in data["actors"]}
        helper = next(a for a in data["actors"] if a["name"] == f"{name}_helper")
        side.assignment_id = helper["assignments"][0]["id"]
        sides.append(side)
    return World(dict(scenario.template_ids), sides[0], sides[1])


async def hold_units(admin: GraphQLClient, side: Side, count: int = 2) -> None:
    """`count` fresh units of work taken by the side's worker (checkout under Line_Splitter)."""
    side.held = []
    for _ in range(count):
        await mutate(admin, START, {"input": {"instanceId": side.instance_id}})
        payload = await mutate(
            admin,
            CHECKOUT,
            {"input": {"roleId": side.roles["Line_Splitter"], "actorId": side.actor}},
        )
        assert payload["uow"] is not None
        side.held.append(payload["uow"]["id"])


async def fingerprint(admin: GraphQLClient, side: Side) -> Any:
    """What a refused write must leave unchanged in an instance."""
    query = """query($id: ID!) {
      instance(id: $id) {
        status
        actors { id assignments { id status } }
        uows(first: 500) { totalCount edges { node { id version status lockedBy { id } } } }
        logs(first: 1, logTypes: [INTERACTION, STATE_TRANSITION, GUARDIAN_DECISION]) {
          totalCount
        }
      }
    }"""
    return (await admin.data(query, {"id": side.instance_id}))["instance"]


def unknown_id() -> str:
    return str(uuid.uuid4())
