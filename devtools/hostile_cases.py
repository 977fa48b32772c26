"""Hostile servers and settings (issue 14): each case sets one up and states the outcome.

Shared by ``tests/test_hostile_matrix.py`` (which asserts every outcome, and that no
secret shows in any error) and ``devtools/reliability.py`` (which prints the README table).
The cases reuse the fault matrix's ``Case`` and ``run_case``.
"""

from reliability_cases import Case, inject
from spcs_llm.errors import (AuthError, ConfigError, DeadlineExceededError, RequestRejectedError,
                             ResponseTooLargeError)

FAST = {"retryBudgetSeconds": 1, "readTimeoutSeconds": 1}
HOST = "abc123-myorg-myaccount.snowflakecomputing.app"


def slow_account(seconds_per_byte):
    def setup(env, service):
        env.account.trickle_seconds = seconds_per_byte
        return {}
    return setup


HOSTILE_CASES = [
    Case("answer trickled a byte every 0.05 s", inject("trickle", trickle_seconds=0.05),
         "stopped at the deadline (budget + read timeout), names both settings", DeadlineExceededError,
         "'retryBudgetSeconds' 1 + 'readTimeoutSeconds' 1", requests=1, extra=FAST),
    Case("stream of keep-alive comments only", inject("keepalive-only"), "stopped at the deadline, names the settings",
         DeadlineExceededError, "'readTimeoutSeconds' 1", requests=1, call="stream", extra=FAST),
    Case("connection held open after [DONE]", inject("held-open", gate_timeout=3),
         "full answer; drained at most 1 s, then the connection is dropped", requests=1, call="stream"),
    Case("OAuth login answer trickled a byte every 0.1 s", slow_account(0.1), "stopped at the deadline",
         DeadlineExceededError, "'retryBudgetSeconds' 1", requests=0, auth="OAUTH", extra=FAST),
    Case("answer of 2 MB, maxResponseMegabytes 1", inject("huge", huge_megabytes=2),
         "fails naming the setting, not retried", ResponseTooLargeError, "'maxResponseMegabytes'", requests=1,
         extra={"maxResponseMegabytes": 1}),
    Case("gzip bomb: 64 KB inflating to 64 MB", inject("gzip-bomb", bomb_megabytes=64),
         "stopped at the limit before it inflates", ResponseTooLargeError, "larger than 1 MB", requests=1,
         extra={"maxResponseMegabytes": 1}),
    Case("one SSE line of 2 MB", inject("huge-line", huge_megabytes=2), "fails naming the line limit",
         ResponseTooLargeError, "one line longer than", requests=1, call="stream"),
    Case("error body echoing the Authorization header", inject("echo-auth"), "the echo is shown, the token is not",
         RequestRejectedError, 'Snowflake Token="[redacted]"', requests=1),
    Case("the same echo on a 502 (retried, logged)", inject("echo-auth", echo_status=502),
         "retried, succeeds; the WARNING line shows no token", requests=2),
    Case("401 quoting the token, twice", inject("401-token", "401-token"), "auth error without the token",
         AuthError, "ALL_ENDPOINTS_USAGE", requests=2, auth="OAUTH"),
    Case("422 echoing the request's input", inject("422-echo"), "the reason is kept, the input is not",
         RequestRejectedError, "body.input: List should have at most 1 item", requests=1),
    Case("usage counts -3 and 'lots'", inject(usage_override={"prompt_tokens": -3, "completion_tokens": "lots"}),
         "estimated and flagged, cost finite", requests=1),
]

# (what, config overrides, the field the error must name): refused in set_config.
HOSTILE_SETTINGS = [
    ("endpoint 'https:/host'", {"llmEndpointUrl": "https:/" + HOST}, "llmEndpointUrl"),
    ("endpoint 'https:host'", {"llmEndpointUrl": "https:" + HOST}, "llmEndpointUrl"),
    ("PAT holding a line break", {"pat": {"token": "pat-abc\r\nX-Injected: 1"}}, "pat.token"),
    ("PAT holding a quote", {"pat": {"token": 'pat-abc"def'}}, "pat.token"),
    ("maxResponseMegabytes 0", {"maxResponseMegabytes": 0}, "maxResponseMegabytes"),
]


def secrets_of(env):
    """Every credential of the stand-in and every token it issued: none may show in an error or a log."""
    return [env.pat, env.oauth_token, env.private_pem.splitlines()[1]] + list(env.account.issued)


def shown_secrets(env, *texts):
    haystack = "\n".join(str(t) for t in texts)
    return [s for s in secrets_of(env) if s in haystack]


def run_setting(env, overrides):
    """The error ``set_config`` raises for the openai service's config with ``overrides`` (or None)."""
    from dss_harness import make_model

    try:
        make_model("chat", env.config("openai", **overrides))
    except ConfigError as exc:
        return exc
    return None
