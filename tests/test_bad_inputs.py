"""Each bad input gets a clear error naming the input (settings are covered in test_settings.py)."""

import pytest

from dss import make_llm, new_query, new_trace  # noqa: F401  (sets up the paths)
from bad_inputs import BAD_INPUTS, ENORMOUS, run_bad_input


@pytest.mark.parametrize("name, kind, service, query, error, message", BAD_INPUTS, ids=[b[0] for b in BAD_INPUTS])
def test_bad_input(env, name, kind, service, query, error, message):
    exc = run_bad_input(env, kind, service, query)
    assert isinstance(exc, error), repr(exc)
    assert message in str(exc)


def test_enormous_chat_input_goes_through_when_the_service_accepts_it(env):
    q = new_query()
    q.with_message(ENORMOUS)
    r = make_llm(env.config("openai")).process(q.cq, {}, new_trace())
    assert r["promptTokens"] == 400001 and r["text"].startswith("Turn 1. You said: word word")
