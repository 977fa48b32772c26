"""Server usage counts are taken only when they are counts; costs stay finite and >= 0 (issue 14, item 11)."""

import itertools
import math

import pytest

from dss import ask, make_llm, make_model, new_trace
from spcs_llm.costs import CostAccountant
from spcs_llm.settings import CostSettings
from spcs_llm.tokens import usage_count

PRICED = {"spcsCreditsPerHourCost": 1, "snowflakeCreditCost": 3, "inputTokenCostPerMillion": 2,
          "outputTokenCostPerMillion": 4}


@pytest.mark.parametrize("value, expected", [
    (12, 12), (0, 0), ("12", 12), (" 7 ", 7), (12.0, 12), ("12.0", 12), ("1e3", 1000),
    (-1, None), ("-1", None), (2.5, None), ("2.5", None), (float("nan"), None), ("NaN", None),
    (float("inf"), None), ("Infinity", None), (10 ** 400, None), (True, None), (False, None), (None, None),
    ("lots", None), ("", None), ([3], None), ({"n": 3}, None)])
def test_a_usage_count_is_a_non_negative_finite_integer(value, expected):
    assert usage_count(value) == expected


def _sane(totals):
    return all(math.isfinite(x) and x >= 0 for x in (totals.prompt_tokens, totals.completion_tokens, totals.credits,
                                                     totals.dollars, totals.busy_seconds))


@pytest.mark.parametrize("prompt, completion", [(-3, 5), ("lots", 5), (2.5, 5), (1e300, 5), (True, 5),
                                                ("NaN", "Infinity"), (5, [1])])
def test_odd_server_counts_are_estimated_and_flagged_and_never_poison_costs(env, prompt, completion):
    service = env.standin.services["openai"]
    service.faults.usage_override = {"prompt_tokens": prompt, "completion_tokens": completion}
    llm = make_llm(env.config("openai", **PRICED))
    answer = ask(llm)
    assert answer["tokenCountsAreEstimated"] is True
    for key in ("promptTokens", "completionTokens", "totalTokens"):
        assert isinstance(answer[key], int) and answer[key] >= 0
    assert math.isfinite(answer["estimatedCost"]) and answer["estimatedCost"] >= 0
    service.faults.usage_override = None
    assert ask(llm)["tokenCountsAreEstimated"] is False
    assert _sane(llm.client.costs.totals)


def test_counts_sent_as_numeric_strings_are_taken(env):
    env.standin.services["openai"].faults.usage_override = {"prompt_tokens": "12", "completion_tokens": "7.0"}
    answer = ask(make_llm(env.config("openai")))
    assert (answer["promptTokens"], answer["completionTokens"], answer["tokenCountsAreEstimated"]) == (12, 7, False)


def test_an_odd_embedding_count_is_estimated_and_flagged(env):
    env.standin.services["openai"].faults.usage_override = {"prompt_tokens": -40}
    model = make_model("embedding", env.config("openai", **PRICED))
    answer = model.process({"text": "a text of some length"}, {}, new_trace())
    assert answer["tokenCountsAreEstimated"] is True and answer["promptTokens"] > 0
    assert math.isfinite(answer["estimatedCost"]) and answer["estimatedCost"] >= 0


def test_a_cost_stays_finite_however_large_the_rates():
    ticks = itertools.count()
    costs = CostAccountant(CostSettings(credits_per_hour=1e308, dollars_per_credit=1e308,
                                        input_dollars_per_million=1e308, output_dollars_per_million=1e308),
                           clock=lambda: float(next(ticks)) * 3600)
    for _ in range(3):
        dollars = costs.finish(costs.start(), 10 ** 6, 10 ** 6)
        assert math.isfinite(dollars) and dollars >= 0
    assert _sane(costs.totals)
