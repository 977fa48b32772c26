"""Correctness at the edges (issue 23), one module per area, each a list of ``SCENARIOS``.

A scenario is ``(name, expected, fn)`` where ``fn(env)`` returns ``(ok, outcome, requests)``,
as in ``pushdown_cases``. Every module of this package listed in ``AREAS`` is one group of
``make reliability``'s "Edges" table and is asserted row by row by ``tests/test_edge_matrix.py``.
Areas are separate modules so that each can grow without touching the others.
"""

import importlib
import time

from sharing_cases import Outcome

# (module name, table heading); a module missing from the checkout is skipped, so areas land one by one.
AREAS = [
    ("parsers", "Every index exactly once, one dimension"),
    ("connections", "A connection's answers belong to its request"),
    ("server_text", "One funnel for server text"),
    ("batchers", "Failure isolation and deadlines in every batcher state"),
    ("streams", "Cancellation, shutdown and raw exceptions"),
]


def areas():
    """Yield ``(heading, scenarios)`` for each area module present."""
    for module, heading in AREAS:
        try:
            mod = importlib.import_module("edge_cases." + module)
        except ModuleNotFoundError as exc:
            if exc.name != "edge_cases." + module:
                raise
            continue
        yield heading, mod.SCENARIOS


def all_scenarios():
    """Every scenario of every area, for the test matrix."""
    return [s for _, scenarios in areas() for s in scenarios]


def run_scenario(env, scenario):
    """Run one scenario; return its ``Outcome``."""
    name, expected, fn = scenario
    started = time.monotonic()
    ok, outcome, requests = fn(env)
    return Outcome(name, expected, ok, outcome, requests, time.monotonic() - started)
