"""The push-down recipes' descriptors (issue 26, item 3): readable choices, nothing offered that is refused, fields kept."""

import json
import os

import pytest

from dss import ROOT
from spcs_llm.pushdown import kinds, plan, signatures

RECIPES = {"embed-in-snowflake": kinds.EMBEDDING, "prompt-in-snowflake": kinds.PROMPT}
# Field names existing users have in their saved recipes (2.0.0): kept, so their recipes carry over.
FIELDS_2_0 = {"modelHandlingMode", "endpointUrl", "serviceName", "callMode", "functionName", "endpointName",
              "registryMethod", "methodPath", "maxBatchRows", "answerField", "outputColumn", "keepAllColumns",
              "keptColumns", "incremental", "keyColumn", "spcsCreditsPerHourCost", "snowflakeCreditCost"}
FIELDS_2_0_BY_RECIPE = {"embed-in-snowflake": {"textColumn", "vectorDimensions"},
                        "prompt-in-snowflake": {"promptTemplate", "temperature", "maxOutputTokens"}}
# A mode whose meaning in this recipe is not the connection's: the label says what it is here.
OWN_LABELS = {("embed-in-snowflake", "TEXT_GENERATION_OTHER")}


def params(name):
    with open(os.path.join(ROOT, "custom-recipes", name, "recipe.json")) as f:
        return {p["name"]: p for p in json.load(f)["params"]}


def connection_labels():
    with open(os.path.join(ROOT, "python-llms", "snowpark-container-services-llm", "llm.json")) as f:
        fields = {p["name"]: p for p in json.load(f)["params"]}
    return {c["value"]: c["label"] for c in fields["modelHandlingMode"]["selectChoices"]}


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_model_types_have_the_connections_labels_and_none_is_refused(name):
    choices = params(name)["modelHandlingMode"]["selectChoices"]
    labels = connection_labels()
    assert [c["value"] for c in choices] == kinds.modes_for(RECIPES[name])
    for choice in choices:
        assert choice["label"] != choice["value"] and choice["label"].strip()
        if choice["value"] in labels and (name, choice["value"]) not in OWN_LABELS:
            assert choice["label"] == labels[choice["value"]], choice["value"]
        plan.kind_for(RECIPES[name], {"modelHandlingMode": choice["value"]})  # never refused
    assert not {c["value"] for c in choices} & set(kinds.NOT_CALLABLE_FROM_SQL)


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_existing_field_names_are_kept_and_new_ones_have_safe_defaults(name):
    fields = params(name)
    assert FIELDS_2_0 | FIELDS_2_0_BY_RECIPE[name] <= set(fields)
    assert fields["maxBatchRetries"]["defaultValue"] == plan.DEFAULT_BATCH_RETRIES == 3
    assert fields["onBatchFailure"]["defaultValue"] == "ABORT"  # Snowflake's default: nothing half-written
    assert [c["value"] for c in fields["onBatchFailure"]["selectChoices"]] == list(plan.ON_BATCH_FAILURE)
    for field in fields.values():
        if field["type"] != "SEPARATOR":
            assert field.get("label") and field.get("description"), field["name"]


@pytest.mark.parametrize("name", sorted(RECIPES))
def test_the_signature_choices_are_the_kinds_and_default_to_each_kinds_own(name):
    field = params(name)["methodSignature"]
    offered = [c["value"] for c in field["selectChoices"]]
    assert field["defaultValue"] == offered[0] == signatures.DEFAULT
    wanted = {s.key for k in kinds.KINDS.values() if k.capability == RECIPES[name] and len(k.signatures) > 1
              for s in k.signatures}
    assert set(offered[1:]) == wanted
    for kind in (k for k in kinds.KINDS.values() if k.capability == RECIPES[name]):
        assert plan.signature_for({"methodSignature": signatures.DEFAULT}, kind) == kind.signatures[0]
    assert "vectorView" in params("embed-in-snowflake")


def test_the_format_labels_cover_every_prompt_format():
    from spcs_llm.protocols.prompt_formats import FORMATS

    assert set(kinds.FORMAT_LABELS) == set(FORMATS)
