"""Every call ends within its deadline (retry budget + read timeout), however the server behaves (issue 14, item 5).

No test measures time: a server that would hold the old code hangs on until it gives up
itself, and what is asserted is the outcome (our deadline error naming the settings), or
the order of events between the client and a server waiting on a gate.
"""

import pytest

from dss import ask, make_llm, new_query, new_trace
from spcs_llm.errors import DeadlineExceededError

FAST = {"retryBudgetSeconds": 1, "readTimeoutSeconds": 1}


def _stream(llm, text="hello there"):
    q = new_query()
    q.with_message(text)
    return llm.process_stream(q.cq, {}, new_trace())


def test_a_body_trickling_a_byte_at_a_time_ends_at_the_deadline(env):
    service = env.standin.services["openai"]
    service.faults.inject("trickle")  # ~400 bytes, 0.05 s apart: each byte beats the read timeout
    llm = make_llm(env.config("openai", **FAST))
    with pytest.raises(DeadlineExceededError) as stopped:
        ask(llm)
    assert "'retryBudgetSeconds' 1 + 'readTimeoutSeconds' 1" in str(stopped.value)


def test_a_stream_sending_only_keepalives_ends_at_the_deadline(env):
    service = env.standin.services["openai"]
    service.faults.inject("keepalive-only")  # a comment every 0.1 s for 30 s, never an event
    llm = make_llm(env.config("openai", **FAST))
    with pytest.raises(DeadlineExceededError, match="'readTimeoutSeconds'"):
        list(_stream(llm))


def test_a_connection_held_open_after_done_is_dropped_not_waited_for(env):
    service = env.standin.services["openai"]
    service.faults.inject("held-open")
    llm = make_llm(env.config("openai"))  # default timeouts: 300 s read, 120 s budget
    items = list(_stream(llm))
    service.faults.gate.set()  # the call is over: let the server finish
    assert "".join(i["chunk"]["text"] for i in items[:-1]) == ask(llm)["text"]  # the whole answer
    # The call returned while the server still held the connection (it had not given up waiting).
    assert service.faults.gate_waits == [True]


@pytest.mark.parametrize("mode", ["OAUTH", "KEYPAIR_JWT"])
def test_a_token_endpoint_trickling_its_answer_ends_at_the_deadline(env, mode):
    env.account.trickle_seconds = 0.1  # the login or token answer (40 bytes and more), one byte at a time
    llm = make_llm(env.config("openai", mode, **FAST))
    with pytest.raises(DeadlineExceededError, match="'retryBudgetSeconds' 1"):
        ask(llm)
    env.account.trickle_seconds = 0.0
