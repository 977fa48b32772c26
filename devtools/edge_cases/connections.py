"""A connection's answers belong to its request (issue 23, items 2 and 3), against the stand-in over real sockets."""

from dss_harness import make_llm, new_query, new_trace

PROMPTS = ["aspirin dose?", "ibuprofen with food?", "is codeine safe while nursing?"]


def _ask(llm, text):
    q = new_query()
    q.with_message(text)
    return llm.process(q.cq, {}, new_trace())["text"]


def interim_responses_before_a_slow_answer(env):
    """103 Early Hints, then 102 Processing, before answers that take 0.2 s, on one reused connection (23.2)."""
    service = env.standin.services["openai"]
    llm = make_llm(env.config("openai"))
    _ask(llm, "warm up")
    service.timing.latency = 0.2
    before = service.counters["requests"]
    wrong = []
    for fault in ("early-hints", "processing"):
        service.faults.inject(fault)
        for text in PROMPTS:
            answer = _ask(llm, text)
            if not answer.endswith("You said: %s" % text):
                wrong.append((text, answer))
    sent = service.counters["requests"] - before
    ok = not wrong and sent == 2 * len(PROMPTS)
    outcome = ("each of %d calls got its own answer; %d requests, none retried" % (2 * len(PROMPTS), sent)
               if not wrong else "%d calls got another call's answer, e.g. %r for %r" % (
                   len(wrong), wrong[0][1][:40], wrong[0][0]))
    return ok, outcome, sent


SCENARIOS = [
    ("interim 1xx before the answer", "each call gets its own answer, nothing retried",
     interim_responses_before_a_slow_answer),
]
