"""Test stand-in for the part of DSS's ``dataiku`` package the plugin uses.

``llm.python`` (BaseLLM...), ``runnables`` (Runnable), ``customrecipe`` and, for the
push-down recipes, ``Dataset`` and ``SQLExecutor2`` (``sql_recipes.py``).
"""

from .sql_recipes import Dataset, SQLExecutor2  # noqa: F401
