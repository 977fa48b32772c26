"""The bad settings, malformed messages and keys of `make reliability`'s own group fail before any request."""

import pytest

from dss import make_llm  # noqa: F401  (sets up the paths)
from bad_inputs import BAD_CALL_INPUTS, run_bad_call


@pytest.mark.parametrize("name, service, changes, query, settings, error, message", BAD_CALL_INPUTS,
                         ids=[b[0] for b in BAD_CALL_INPUTS])
def test_bad_call_input_fails_before_any_request_naming_the_setting(env, name, service, changes, query, settings,
                                                                    error, message):
    exc = run_bad_call(env, service, changes, query, settings)
    assert isinstance(exc, error), repr(exc)
    assert message in str(exc)
    assert env.standin.services[service].counters["requests"] == 0
