"""The fault matrix: each case sets up a fault on the stand-in, runs a call, and states the outcome.

Shared by ``tests/test_fault_matrix.py`` (which asserts every outcome) and
``devtools/reliability.py`` (which prints the table in the README).
"""

from dataclasses import dataclass, field
from typing import Callable, Optional

from dss_harness import make_model, new_query, new_trace
from spcs_standin import http_date

from spcs_llm.errors import (AuthError, CredentialExpiredError, PayloadTooLargeError, RequestRejectedError,
                             ServiceSuspendedError, StreamInterruptedError, TransientServiceError)


@dataclass
class Case:
    name: str
    setup: Callable  # (env) -> dict of config overrides
    expected: str  # what the reader is promised
    error: Optional[type] = None  # None: the call succeeds
    message: str = ""  # a fragment the error message must contain
    requests: Optional[int] = None  # requests the service must have seen
    call: str = "chat"  # "chat", "stream", "embed" (10 texts) or "embed-one"
    service: str = "openai"
    auth: str = "PAT"
    extra: dict = field(default_factory=dict)


def inject(*faults, **attrs):
    def setup(env, service):
        svc = env.standin.services[service]
        for k, v in attrs.items():
            setattr(svc.faults, k, v)
        svc.faults.inject(*faults)
        return {}
    return setup


def suspend(after):
    def setup(env, service):
        env.standin.services[service].suspend(auto_resume_after=after)
        return {}
    return setup


def expire(*kinds):
    def setup(env, service):
        llm = make_model("chat", env.config(service, env.case_auth))
        run_call(llm, "chat")  # a first call gets the tokens
        for kind in kinds:
            env.account.expire(kind)
        env.warm_llm = llm
        return {}
    return setup


def endpoint(url):
    def setup(env, service):
        return {"llmEndpointUrl": url, "maxRetries": 2, "retryBudgetSeconds": 2, "connectTimeoutSeconds": 1}
    return setup


CASES = [
    Case("429 with Retry-After in seconds", inject("429", retry_after="1"), "retried after 1 s, succeeds", requests=2),
    Case("429 with Retry-After as an HTTP date", lambda env, s: inject("429", retry_after=http_date(2))(env, s),
         "retried after the date, succeeds", requests=2),
    Case("429 with Retry-After beyond the budget", inject("429", retry_after="3600"),
         "fails at once, names rate limiting", TransientServiceError, "rate limiting", requests=1),
    Case("502, 503, 504 burst", inject("502", "503", "504"), "retried with backoff, succeeds", requests=4),
    Case("503 for longer than the budget", inject(*["503"] * 40), "fails after maxRetries, says so",
         TransientServiceError, "Gave up after 4 attempts", requests=4, extra={"maxRetries": 3}),
    Case("service suspended, resumes after 1.5 s", suspend(1.5), "waited for within budget, succeeds"),
    Case("service suspended for good", suspend(None), "fails after the budget with ALTER SERVICE ... RESUME",
         ServiceSuspendedError, "ALTER SERVICE <name> RESUME", extra={"retryBudgetSeconds": 2}),
    Case("connection refused", endpoint("http://127.0.0.1:9"), "retried, then fails naming the refusal",
         TransientServiceError, "connection refused"),
    Case("DNS failure", endpoint("https://no-such-host.invalid"), "fails naming the host and the field",
         TransientServiceError, "host name not found: check 'llmEndpointUrl'"),
    Case("connection reset", inject("reset"), "retried, succeeds", requests=2),
    Case("read timeout", inject("slow", slow_seconds=1.5), "retried after readTimeoutSeconds, succeeds",
         requests=2, extra={"readTimeoutSeconds": 0.5}),
    Case("stream cut before the first chunk", inject("cut", cut_after_chunks=0), "retried cleanly, full answer",
         requests=2, call="stream"),
    Case("stream cut mid-way", inject("cut", cut_after_chunks=3), "clear error, no truncated answer",
         StreamInterruptedError, "broke off after part of the answer", requests=1, call="stream"),
    Case("answer cut half-way (not streamed)", inject("cut"), "retried, never parsed half, succeeds", requests=2),
    Case("malformed JSON body", inject("malformed"), "retried, succeeds", requests=2),
    Case("HTML login page instead of JSON", inject("html"), "auth error naming the login page", AuthError,
         "Snowflake's login page", requests=1),
    Case("redirect to the login page", inject("login-redirect"), "token refreshed once, succeeds", requests=2,
         auth="KEYPAIR_JWT"),
    Case("401 twice (token refused after re-auth)", inject("401", "401"), "auth error with the grant to check",
         AuthError, "ALL_ENDPOINTS_USAGE", requests=2, auth="OAUTH"),
    Case("session token expires mid-run", expire("session"), "renewed with the master token, succeeds",
         auth="OAUTH"),
    Case("key-pair ingress token expires mid-run", expire("ingress"), "JWT exchanged again, succeeds",
         auth="KEYPAIR_JWT"),
    Case("session and master token expired", expire("session", "master"), "logged in again, succeeds",
         auth="OAUTH"),
    Case("master token and OAuth credential expired", expire("session", "master", "oauth"),
         "tells the user to reconnect the credential in DSS", CredentialExpiredError,
         "Reconnect your Snowflake credential in DSS", auth="OAUTH"),
    Case("400 bad request", inject("400"), "fails fast with the server's message", RequestRejectedError,
         "Injected HTTP 400", requests=1),
    Case("403 forbidden", inject("403"), "fails fast, names the missing grant", RequestRejectedError,
         "ALL_ENDPOINTS_USAGE", requests=1),
    Case("404 not found", inject("404"), "fails fast, names mode and method", RequestRejectedError,
         "'registryMethod'", requests=1),
    Case("413 for a single text", inject("413"), "fails fast (a single text cannot be split)",
         PayloadTooLargeError, "too large", requests=1, call="embed-one", service="st"),
    Case("413 for a batch", inject(max_batch=4), "batch split until accepted, order kept", call="embed",
         service="st"),
    Case("422 unprocessable", inject("422"), "fails fast with the server's message", RequestRejectedError,
         "Injected HTTP 422", requests=1),
]


def capability_of(call):
    """The capability of the model a case's call needs."""
    return "embedding" if call.startswith("embed") else "chat"


def run_call(llm, kind):
    if kind == "embed-one":
        return llm.process({"text": "text 0"}, {}, new_trace())
    if kind == "embed":
        texts = ["text %d" % i for i in range(10)]
        return llm.process({"queries": [{"text": t} for t in texts]}, {}, new_trace())
    q = new_query()
    q.with_message("hello there")
    if kind == "stream":
        items = list(llm.process_stream(q.cq, {}, new_trace()))
        return {"text": "".join(i["chunk"]["text"] for i in items[:-1])}
    return llm.process(q.cq, {}, new_trace())


def run_case(env, case):
    """Run ``case``; return (outcome, error or None, requests seen by the service)."""
    env.case_auth = case.auth
    env.warm_llm = None
    overrides = case.setup(env, case.service) or {}
    svc = env.standin.services[case.service]
    before = svc.counters["requests"]
    config = env.config(case.service, case.auth, **dict(case.extra, **overrides))
    warm = env.warm_llm is not None and not overrides and not case.extra
    llm = env.warm_llm if warm else make_model(capability_of(case.call), config)
    try:
        result = run_call(llm, case.call)
    except Exception as exc:  # the matrix reports every outcome, expected or not
        return None, exc, svc.counters["requests"] - before
    return result, None, svc.counters["requests"] - before
