"""A connection's answers belong to its request, whatever interim (1xx) responses precede them (issue 23.2).

``http.client`` skips only ``100 Continue``: a ``103 Early Hints`` or ``102 Processing``
passed for the whole answer and left the real one on the pooled connection, where the
next call read it (the second prompt got the first prompt's answer). The stand-in sends
the interim response over a real socket, before an answer that takes a moment (a server
sends early hints because its answer is slow), on every path that reuses a connection.
"""

import io
import socket
import threading

import pytest
from hypothesis import given, settings, strategies as st

from dss import embed, make_llm, make_model, new_query, new_reranking_query, new_trace
from spcs_standin import Service

from spcs_llm.transport.pool import MAX_INTERIM_RESPONSES, InterimSkippingResponse, pooled_session

INTERIM = ["early-hints", "processing"]
SLOW_ANSWER = 0.2  # seconds the service takes after its interim response
# Distinct lengths too: a registry text-generation answer names only its prompt's length.
TEXTS = ["aspirin dose?", "ibuprofen with food?", "is codeine safe while nursing?"]


def _chat(env, service):
    llm = make_llm(env.config(service))

    def call(text):
        q = new_query()
        q.with_message(text)
        return llm.process(q.cq, {}, new_trace())["text"]
    return call


def _chat_stream(env, service):
    llm = make_llm(env.config(service))

    def call(text):
        q = new_query()
        q.with_message(text)
        return "".join(i["chunk"].get("text", "") for i in llm.process_stream(q.cq, {}, new_trace()) if "chunk" in i)
    return call


def _embedding(env, service):
    model = make_model("embedding", env.config(service))
    return lambda text: embed(model, text)["embedding"]


def _reranking(env, service):
    env.standin.add_service(Service(service, service))
    model = make_model("reranking", env.config(service))
    documents = ["alpha beta", "gamma delta", "epsilon"]

    def call(text):
        answer = model.process(new_reranking_query(text, documents), {}, new_trace())
        return {d["index"]: d["relevanceScore"] for d in answer["documents"]}
    return call


PATHS = {
    "chat complete (OpenAI)": (_chat, "openai"),
    "chat complete (registry text generation)": (_chat, "textgen"),
    "chat complete (registry OpenAI signature)": (_chat, "openai-chat-sig"),
    "chat stream (OpenAI SSE)": (_chat_stream, "openai"),
    "embedding (OpenAI)": (_embedding, "openai"),
    "embedding (registry sentence-transformers)": (_embedding, "st"),
    "reranking (OpenAI /v1/rerank)": (_reranking, "openai-rerank"),
    "reranking (TEI /rerank)": (_reranking, "tei-rerank"),
    "reranking (registry cross-encoder)": (_reranking, "registry-cross-encoder"),
}


@pytest.mark.parametrize("fault", INTERIM)
@pytest.mark.parametrize("path", list(PATHS))
def test_each_call_gets_the_answer_to_its_own_request(env, path, fault):
    build, service_name = PATHS[path]
    call = build(env, service_name)
    service = env.standin.services[service_name]
    expected = {text: call(text) for text in TEXTS}  # each text's answer, on a healthy connection
    assert len({repr(answer) for answer in expected.values()}) == len(TEXTS)  # answers tell the calls apart
    service.timing.latency = SLOW_ANSWER
    sent_before = service.counters["requests"]
    connections_before = service.counters["connections"]
    service.faults.inject(fault)
    for text in TEXTS:
        answer = call(text)
        assert answer == expected[text], "the call for %r got %.100r" % (text, answer)
    # Nothing retried and nothing reconnected: the interim response was read past on the same connection.
    assert service.counters["requests"] - sent_before == len(TEXTS)
    assert service.counters["connections"] == connections_before


@pytest.mark.parametrize("fault", INTERIM)
@pytest.mark.parametrize("auth", ["OAUTH", "KEYPAIR_JWT"])
def test_token_exchanges_read_past_interim_responses(env, auth, fault):
    env.account.interim.append(fault)
    llm = make_llm(env.config("openai", auth))
    q = new_query()
    q.with_message("after an early hint")
    assert llm.process(q.cq, {}, new_trace())["text"].endswith("You said: after an early hint")
    counter = "login" if auth == "OAUTH" else "jwt_exchange"
    assert env.account.counters[counter] == 1
    assert not env.account.interim


# -- the response class alone, over a socket pair --------------------------------------

def _response(raw):
    """``InterimSkippingResponse`` reading ``raw`` as a server's bytes."""
    class FakeSocket:
        def makefile(self, mode):
            return io.BytesIO(raw)
    response = InterimSkippingResponse(FakeSocket(), method="POST")
    response.begin()
    return response


FINAL = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: application/json\r\n\r\n{}"
interim_status = st.integers(100, 199).filter(lambda s: s != 101)
header = st.tuples(st.from_regex(r"[A-Za-z][A-Za-z-]{0,20}", fullmatch=True),
                   st.from_regex(r"[ -~]{0,40}", fullmatch=True))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(interim_status, st.lists(header, max_size=4)), max_size=6))
def test_any_sequence_of_interim_responses_is_read_past(interims):
    raw = b"".join(b"HTTP/1.1 %d Interim\r\n%s\r\n" % (status, b"".join(
        b"%s: %s\r\n" % (k.encode(), v.encode()) for k, v in headers)) for status, headers in interims)
    response = _response(raw + FINAL)
    assert response.status == 200
    assert response.read() == b"{}"
    assert not response.will_close


def test_switching_protocols_ends_the_response_and_the_connection():
    response = _response(b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n" + FINAL)
    assert response.status == 101
    assert response.will_close  # what follows is not HTTP/1.1: the connection is never reused


def test_an_endless_run_of_interim_responses_is_refused():
    import http.client

    with pytest.raises(http.client.HTTPException, match="interim"):
        _response(b"HTTP/1.1 103 Early Hints\r\n\r\n" * (MAX_INTERIM_RESPONSES + 1) + FINAL)


def test_a_proxy_pool_reads_past_interim_responses_too():
    """Through an HTTP proxy (DSS hosts often have one), the proxy's pools get the same connections."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)

    def proxy():  # one connection, two requests on it
        conn, _ = listener.accept()
        for answer in (b"first", b"second"):
            data = b""
            while b"\r\n\r\n" not in data:
                data += conn.recv(65536)
            conn.sendall(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n"
                         b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(answer), answer))
    thread = threading.Thread(target=proxy, daemon=True)
    thread.start()
    session = pooled_session(2)
    proxy_url = "http://127.0.0.1:%d" % listener.getsockname()[1]
    try:
        answers = [session.get("http://ingress.invalid/", proxies={"http": proxy_url}).content for _ in range(2)]
    finally:
        session.close()
        listener.close()
    assert answers == [b"first", b"second"]
