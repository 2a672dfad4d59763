"""The engine verbs as a client calls them over GraphQL, for the engine's tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from gql.demo import TEMPLATE_FILES, TEMPLATES
from tests.client import GraphQLClient
from tests.scenario import mutate

UOW_FIELDS = (
    "id status version contentHash lockedBy { id } currentRole { name } currentInteraction { name }"
)
CHECKOUT = f"""
mutation($input: CheckoutInput!) {{
  checkout(input: $input) {{
    uow {{ {UOW_FIELDS} }}
    historyEntry {{ previousStatus newStatus }}
    errors {{ code message path rule }}
  }}
}}"""
SUBMIT = f"""
mutation($input: SubmitInput!) {{
  submit(input: $input) {{
    uow {{ {UOW_FIELDS} }}
    historyEntry {{ previousStatus newStatus reasoning }}
    route {{ kind reason componentName guardianName interaction {{ name }} }}
    children {{ id status currentInteraction {{ name }} }}
    errors {{ code message path rule }}
  }}
}}"""
REPORT_FAILURE = f"""
mutation($input: ReportFailureInput!) {{
  reportFailure(input: $input) {{
    uow {{ {UOW_FIELDS} retryCount }}
    historyEntry {{ previousStatus newStatus }}
    errors {{ code message path rule }}
  }}
}}"""
LOAN = "Loan_Application"
IMPORT = """mutation($yaml: String!) {
  importTemplate(input: {yaml: $yaml}) { template { id } errors { code message } }
}"""
INSTANTIATE = """mutation($input: InstantiateInput!) {
  instantiate(input: $input) { instance { id } errors { code message } }
}"""
START = """mutation($input: StartWorkInput!) {
  startWork(input: $input) { uow { id } errors { code message } }
}"""
SET_STATUS = """mutation($input: SetInstanceStatusInput!) {
  setInstanceStatus(input: $input) { instance { status } errors { code message } }
}"""
INSTANCE_MAP = """
query($id: ID!) {
  instance(id: $id) {
    actors { id name }
    workflows { name roles { id name } interactions { id name } }
  }
}"""


@dataclass
class Engine:
    """One instance as a client sees it: role and actor ids by name, verbs by name."""

    client: GraphQLClient
    instance_id: str
    roles: dict[str, str] = field(default_factory=dict)
    actors: dict[str, str] = field(default_factory=dict)
    interactions: dict[str, str] = field(default_factory=dict)

    @classmethod
    async def of(cls, client: GraphQLClient, instance_id: str) -> Engine:
        data = await client.data(INSTANCE_MAP, {"id": instance_id})
        engine = cls(client, instance_id)
        for workflow in data["instance"]["workflows"]:
            for role in workflow["roles"]:
                engine.roles[f"{workflow['name']}.{role['name']}"] = role["id"]
            for interaction in workflow["interactions"]:
                engine.interactions[f"{workflow['name']}.{interaction['name']}"] = interaction["id"]
        engine.actors = {a["name"]: a["id"] for a in data["instance"]["actors"]}
        return engine

    async def call(self, document: str, **values: Any) -> dict[str, Any]:
        data = await self.client.data(document, {"input": values})
        (payload,) = data.values()
        return dict(payload)

    async def checkout(self, role: str, actor: str, **values: Any) -> dict[str, Any]:
        return await self.call(
            CHECKOUT, roleId=self.roles[role], actorId=self.actors[actor], **values
        )

    async def submit(self, uow_id: str, actor: str, **values: Any) -> dict[str, Any]:
        return await self.call(SUBMIT, uowId=uow_id, actorId=self.actors[actor], **values)

    async def report_failure(self, uow_id: str, actor: str, **values: Any) -> dict[str, Any]:
        return await self.call(REPORT_FAILURE, uowId=uow_id, actorId=self.actors[actor], **values)

    async def take(self, role: str, actor: str) -> dict[str, Any]:
        """Checkout that must succeed with a unit of work."""
        payload = await self.checkout(role, actor)
        assert payload["errors"] == [], payload["errors"]
        assert payload["uow"] is not None, f"nothing for {actor} under {role}"
        return dict(payload["uow"])

    async def hand_back(self, uow_id: str, actor: str, **values: Any) -> dict[str, Any]:
        """Submit that must succeed."""
        payload = await self.submit(uow_id, actor, **values)
        assert payload["errors"] == [], payload["errors"]
        return payload


async def loan_instance(client: GraphQLClient, actors: dict[str, list[str]]) -> str:
    for name in TEMPLATE_FILES:
        await mutate(client, IMPORT, {"yaml": (TEMPLATES / name).read_text()})
    payload = await mutate(
        client,
        INSTANTIATE,
        {
            "input": {
                "templateName": LOAN,
                "name": "Loans",
                "actors": [
                    {"name": n, "identityKey": n, "type": "AI_AGENT", "roles": r}
                    for n, r in actors.items()
                ],
            }
        },
    )
    return str(payload["instance"]["id"])
