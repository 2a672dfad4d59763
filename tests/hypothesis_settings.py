"""Hypothesis settings the property tests share, each saying why it departs from the defaults."""

from __future__ import annotations

from hypothesis import HealthCheck, settings


def examples_sharing_fixtures(max_examples: int) -> settings:
    """For a test whose examples share its function-scoped fixtures (an app, its databases)
    on purpose: Hypothesis's warning about that sharing is off, and there is no deadline
    (each example talks to a real server). The test module says why sharing is safe."""
    return settings(
        max_examples=max_examples,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture],
    )


def replayable_examples(max_examples: int) -> settings:
    """For the comparisons of two servers over generated documents: the same examples on
    every run (derandomized, no example database), so that a difference found once is found
    again; no deadline and no health check, as the examples drive live servers."""
    return settings(
        max_examples=max_examples,
        derandomize=True,
        database=None,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
