"""Every row of make reliability's shared-requests table holds (issue 14, items 7, 8 and 10)."""

import pytest

from dss import generate_keypair  # noqa: F401  (puts devtools and the stand-in on the path)
from sharing_cases import SCENARIOS, run_scenario


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s[0] for s in SCENARIOS])
def test_sharing_row(env, scenario):
    outcome = run_scenario(env, scenario)
    assert outcome.ok, outcome.outcome
