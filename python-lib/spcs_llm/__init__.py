"""Snowpark Container Services models in the Dataiku LLM Mesh.

Layout: ``settings`` (validated connection settings), ``auth`` (Snowflake tokens),
``transport`` (HTTP, retries, timeouts), ``protocols`` (wire formats of each model
kind), ``costs`` (busy-time cost attribution), ``model`` (the facade ``llm.py`` uses),
``doctor`` (the endpoint diagnosis CLI).
"""

__version__ = "2.0.0"
