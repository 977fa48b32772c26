"""A refused token fails the call that got it; the next call tries the credential again (issue 14, item 1)."""

import pytest

from dss import ask, make_llm
from spcs_llm.errors import AuthError


@pytest.mark.parametrize("mode", ["PAT", "OAUTH", "KEYPAIR_JWT"])
@pytest.mark.parametrize("refusal", ["401", "login-redirect"])
def test_a_refused_token_does_not_disable_the_credential(env, mode, refusal):
    service = env.standin.services["openai"]
    llm = make_llm(env.config("openai", mode))
    other = make_llm(env.config("openai", mode))  # another model on the same credential
    assert ask(llm)["text"]
    # A PAT has no other token to replay with: one refusal fails the call. The others
    # refresh once and replay, so it takes two.
    service.faults.inject(*[refusal] * (1 if mode == "PAT" else 2))
    with pytest.raises(AuthError):
        ask(llm)
    assert not service.faults.queue
    before = service.counters["requests"]
    assert ask(llm)["text"]
    assert ask(other)["text"]
    assert service.counters["requests"] == before + 2  # both calls were sent, neither failed unsent
