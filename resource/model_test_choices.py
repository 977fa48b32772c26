"""The dynamic choices of the *Test this model* macro's form: the Custom LLM connections, then their models.

DSS calls ``do`` (``paramsPythonSetup`` in ``python-runnables/test-model/runnable.json``).
"""

import dataiku

from spcs_llm.admin import model_test


def do(payload, config, plugin_config, inputs):
    try:
        found = model_test.choices(payload.get("parameterName"), config, dataiku.api_client())
    except Exception as exc:  # shown in the form rather than as a failed call
        found = [{"value": "", "label": "Could not list them: %s" % str(exc)[:200]}]
    return {"choices": found}
