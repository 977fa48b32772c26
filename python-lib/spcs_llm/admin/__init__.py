"""Admin tools that never run inside a DSS LLM call: the doctor, provisioning, the services macro.

``doctor/`` (check an endpoint step by step, ``python -m spcs_llm.doctor``), ``provision``
(install the plugin and its connection through dataiku-api-client, ``python -m
spcs_llm.provision``), ``service_macro`` (the DSS macro listing, resuming and suspending
services).

May import: everything below it (``capabilities``, ``settings``, ``transport``,
``snowflake``, ...). Imported by: the macros in ``python-runnables/``, the command-name
modules ``spcs_llm.doctor`` / ``spcs_llm.provision``, and ``pushdown``'s CLI (the doctor's
credential flags).
"""
