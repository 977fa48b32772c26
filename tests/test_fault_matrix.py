"""Every case of the fault matrix ends as it states (see devtools/reliability_cases.py)."""

import pytest

from dss import new_trace  # noqa: F401  (sets up the paths)
from reliability_cases import CASES, run_case
from spcs_standin import deterministic_vector


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_fault_case(env, case):
    result, error, requests = run_case(env, case)
    if case.error is None:
        assert error is None, "%s: %r" % (case.name, error)
        if case.call == "embed":
            assert [r["embedding"] for r in result["responses"]] == [
                deterministic_vector("text %d" % i) for i in range(10)]
        else:
            assert result["text"] == "Turn 1. You said: hello there"
    else:
        assert isinstance(error, case.error), "%s: got %r" % (case.name, error)
        assert case.message in str(error)
    if case.requests is not None:
        assert requests == case.requests
