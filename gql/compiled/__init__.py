"""The compiled paths. Reads: a query document becomes one SQL statement per tier that
returns the response's JSON (`plan` decides and caches, `render` builds the SQL with
`storage.reads`, `run` executes and stitches). Mutations: a plain payload selection is
written without graphql-core's per-field execution (`mutations`, `inputs`, `payloads`).
Everything else keeps the resolver path."""

from gql.compiled.plan import Plan, Planner
from gql.compiled.run import run

__all__ = ["Plan", "Planner", "run"]
