"""Every row of make reliability's "Edges" table holds (issue 23; see devtools/edge_cases/)."""

import pytest

from dss import generate_keypair  # noqa: F401  (puts devtools and the stand-in on the path)

from edge_cases import all_scenarios, run_scenario  # noqa: E402

SCENARIOS = all_scenarios()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_edge_row(env, scenario):
    outcome = run_scenario(env, scenario)
    assert outcome.ok, outcome.outcome
