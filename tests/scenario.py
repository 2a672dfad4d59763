"""A realistic data set built through the public API (mutations over HTTP), for read tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.client import GraphQLClient
from tests.conftest import EXAMPLES

IMPORT = """
mutation($yaml: String!) {
  importTemplate(input: {yaml: $yaml}) {
    template { id name version }
    errors { code message rule }
  }
}"""
INSTANTIATE = """
mutation($input: InstantiateInput!) {
  instantiate(input: $input) {
    instance {
      id
      workflows { id name isMaster roles { id name roleType } interactions { id name } }
    }
    errors { code message }
  }
}"""
START = """
mutation($input: StartWorkInput!) {
  startWork(input: $input) { uow { id version contentHash } errors { code message } }
}"""
TRANSITION = """
mutation($input: TransitionUowInput!) {
  transitionUow(input: $input) {
    uow { id status version contentHash }
    historyEntry { id previousStatus newStatus }
    errors { code message }
  }
}"""


@dataclass
class Scenario:
    template_ids: dict[str, str] = field(default_factory=dict)
    instance_id: str = ""
    workflows: dict[str, dict[str, Any]] = field(default_factory=dict)
    uow_ids: list[str] = field(default_factory=list)

    def role(self, workflow: str, name: str) -> str:
        return next(r["id"] for r in self.workflows[workflow]["roles"] if r["name"] == name)

    def interaction(self, workflow: str, name: str) -> str:
        roles = self.workflows[workflow]["interactions"]
        return next(i["id"] for i in roles if i["name"] == name)


async def mutate(client: GraphQLClient, document: str, variables: dict[str, Any]) -> dict[str, Any]:
    """Runs a mutation and returns its payload, failing the test on payload errors."""
    data = await client.data(document, variables)
    (payload,) = data.values()
    assert payload["errors"] == [], payload["errors"]
    return payload


async def import_examples(client: GraphQLClient, scenario: Scenario) -> None:
    for name in ("receipt_audit.yaml", "expense_review.yaml"):
        payload = await mutate(client, IMPORT, {"yaml": (EXAMPLES / name).read_text()})
        scenario.template_ids[payload["template"]["name"]] = payload["template"]["id"]


async def build_scenario(client: GraphQLClient, *, uows: int = 3, steps: int = 2) -> Scenario:
    """Both example templates, one instance, `uows` base UOWs each moved through `steps` steps."""
    scenario = Scenario()
    await import_examples(client, scenario)
    payload = await mutate(
        client,
        INSTANTIATE,
        {
            "input": {
                "templateName": "Expense_Review",
                "name": "Expenses",
                "actors": [
                    {
                        "name": "Ada",
                        "identityKey": "ada@example.com",
                        "type": "HUMAN",
                        "roles": ["Line_Splitter"],
                    }
                ],
            }
        },
    )
    instance = payload["instance"]
    scenario.instance_id = instance["id"]
    scenario.workflows = {w["name"]: w for w in instance["workflows"]}
    moves = ["ACTIVE", "PENDING", "ACTIVE", "COMPLETED"]
    for n in range(uows):
        started = await mutate(
            client,
            START,
            {"input": {"instanceId": scenario.instance_id, "attributes": {"amount": n * 10}}},
        )
        uow_id = started["uow"]["id"]
        scenario.uow_ids.append(uow_id)
        for step in range(steps):
            await mutate(
                client,
                TRANSITION,
                {
                    "input": {
                        "uowId": uow_id,
                        "toStatus": moves[step % len(moves)],
                        "attributes": {"step": step},
                        "reasoning": f"step {step}",
                    }
                },
            )
    return scenario


# The smallest template the rules accept, as createTemplate's typed input.
TYPED_TEMPLATE: dict[str, Any] = {
    "name": "Typed",
    "roles": [
        {"name": "A", "roleType": "ALPHA"},
        {"name": "O", "roleType": "OMEGA"},
        {"name": "E", "roleType": "EPSILON"},
        {"name": "T", "roleType": "TAU"},
    ],
    "interactions": [{"name": "Q"}, {"name": "R"}],
    "components": [
        {"name": "A_Out", "role": "A", "interaction": "Q", "direction": "OUTBOUND"},
        {
            "name": "O_In",
            "role": "O",
            "interaction": "Q",
            "direction": "INBOUND",
            "guardians": [{"name": "Sync", "type": "CERBERUS"}],
        },
        {"name": "T_Out", "role": "T", "interaction": "R", "direction": "OUTBOUND"},
        {
            "name": "E_In",
            "role": "E",
            "interaction": "R",
            "direction": "INBOUND",
            "guardians": [
                {"name": "Gate", "type": "CRITERIA_GATE", "config": {"criteria": "retry_count < 2"}}
            ],
        },
    ],
}
