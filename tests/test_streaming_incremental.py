"""SSE chunks reach DSS as they arrive, even over a close-delimited body without chunked encoding (issue 14, item 15)."""

import pytest

from dss import make_llm, new_query, new_trace


@pytest.mark.parametrize("close_delimited", [True, False])
def test_the_first_chunk_reaches_dss_before_the_server_sends_the_rest(env, close_delimited):
    service = env.standin.services["openai"]
    service.faults.close_delimited = close_delimited
    service.faults.gate_after = 3  # the role event and two words, then the server waits for the gate
    llm = make_llm(env.config("openai"))
    q = new_query()
    q.with_message("hello there, how are you today?")
    items = llm.process_stream(q.cq, {}, new_trace())
    first = next(items)  # would block until the gate gives up if the client waited for the whole body
    service.faults.gate.set()
    rest = list(items)
    assert first["chunk"]["text"]
    assert service.faults.gate_waits == [True]  # the server was still holding the rest back
    assert "footer" in rest[-1] and "".join(i["chunk"]["text"] for i in [first] + rest[:-1]).startswith("Turn 1")
