"""Memory stays bounded whatever the server sends: answers past maxResponseMegabytes and over-long SSE lines fail clearly (issue 14, item 6)."""

import tracemalloc

import pytest

from dss import ask, make_llm, new_query, new_trace
from spcs_llm.errors import ConfigError, ResponseTooLargeError


def test_an_answer_larger_than_the_size_limit_fails_naming_the_setting(env):
    service = env.standin.services["openai"]
    service.faults.huge_megabytes = 2
    service.faults.inject("huge")
    llm = make_llm(env.config("openai", maxResponseMegabytes=1))
    with pytest.raises(ResponseTooLargeError, match="larger than 1 MB \\(setting 'maxResponseMegabytes'\\)"):
        ask(llm)


def test_a_gzip_bomb_is_stopped_at_the_limit_before_it_inflates(env):
    service = env.standin.services["openai"]
    service.faults.bomb_megabytes = 64  # a 64 KB body that inflates to 64 MB of JSON whitespace
    llm = make_llm(env.config("openai", maxResponseMegabytes=1))
    ask(llm)  # warm: connections, tokens, imports
    service.faults.inject("gzip-bomb")
    tracemalloc.start()
    try:
        with pytest.raises(ResponseTooLargeError, match="'maxResponseMegabytes'"):
            ask(llm)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 16 * 2 ** 20  # inflating the bomb would take 64 MB


def test_one_sse_line_longer_than_the_limit_fails_clearly(env):
    service = env.standin.services["openai"]
    service.faults.huge_megabytes = 2  # one "data:" line of 2 MB
    service.faults.inject("huge-line")
    llm = make_llm(env.config("openai"))
    q = new_query()
    q.with_message("hello")
    with pytest.raises(ResponseTooLargeError, match="one line longer than"):
        list(llm.process_stream(q.cq, {}, new_trace()))


@pytest.mark.parametrize("value", [0, -1, "lots", 100000])
def test_a_bad_size_limit_is_refused_in_set_config(env, value):
    with pytest.raises(ConfigError, match="'maxResponseMegabytes'"):
        make_llm(env.config("openai", maxResponseMegabytes=value))
