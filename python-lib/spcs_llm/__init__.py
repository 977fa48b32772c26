"""Snowpark Container Services models in the Dataiku LLM Mesh.

The public face is at the root: one facade per capability (``chat``, ``embedding``,
``reranking``) over ``client.ModelClient``, with ``settings`` (validated connection
settings), ``modes`` (the one table of model handling modes), ``errors``, ``costs`` and
``tokens``. Below it, by layer (imports flow only down; ``.importlinter`` is the contract):

- ``admin/``, ``pushdown/``: tools and recipes that never run inside an LLM call;
- ``batching/``, ``transport/``: the request path (coalescing; HTTP, retries, streams);
- ``snowflake/``: SQL sessions, identifiers, services, auto-resume;
- ``protocols/``, ``auth/``: wire formats without I/O; Snowflake tokens;
- ``wire/``: JSON, bodies and limits, server text, URLs, deadlines.
"""

__version__ = "2.0.0"
