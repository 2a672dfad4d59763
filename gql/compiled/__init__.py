"""The compiled read path: a query document becomes one SQL statement per tier that
returns the response's JSON (`plan` decides and caches, `render` builds the SQL with
`storage.reads`, `run` executes and stitches). Everything else keeps the resolver path."""

from gql.compiled.plan import Plan, Planner
from gql.compiled.run import run

__all__ = ["Plan", "Planner", "run"]
