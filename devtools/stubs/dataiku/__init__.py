"""Test stand-in for the parts of DSS's ``dataiku`` package the plugin uses.

The LLM base classes (``dataiku.llm.python``), the runnable base of the services macro,
and for the push-down recipes ``customrecipe``, ``Dataset`` and ``SQLExecutor2``
(``sql_recipes.py``).
"""

from .sql_recipes import Dataset, SQLExecutor2  # noqa: F401
