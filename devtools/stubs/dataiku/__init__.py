"""Test stand-in for the parts of DSS's ``dataiku`` package the plugin uses.

The LLM base classes (``dataiku.llm.python``), the runnable base of the services macro,
and for the push-down recipes ``customrecipe``, ``Dataset`` and ``SQLExecutor2``
(``sql_recipes.py``).
"""

from .sql_recipes import Dataset, SQLExecutor2  # noqa: F401


def api_client():
    """DSS gives code a client of its public API for the running user; the tests put a fake one here."""
    raise RuntimeError("No DSS here: a test sets dataiku.api_client to a client of its fake DSS.")
