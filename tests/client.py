"""A small GraphQL client over the real ASGI app, for tests."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient

    async def post(
        self, query: str, variables: dict[str, Any] | None = None, **headers: str
    ) -> httpx.Response:
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        return await self.http.post("/graphql", json=body, headers=headers)

    async def data(self, query: str, variables: dict[str, Any] | None = None) -> dict[str, Any]:
        """Executes and returns `data`, failing the test on any GraphQL error."""
        response = await self.post(query, variables)
        assert response.status_code == 200, response.text
        payload = response.json()
        assert "errors" not in payload, payload["errors"]
        return payload["data"]

    async def errors(self, query: str, variables: dict[str, Any] | None = None) -> list[Any]:
        """Executes a document expected to fail and returns its errors."""
        response = await self.post(query, variables)
        assert response.status_code == 200, response.text
        payload = response.json()
        assert payload.get("errors"), payload
        return payload["errors"]
