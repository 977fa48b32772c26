"""Embedding batches: texts of one call cut into requests, one-text calls of many callers coalesced.

``embedding_batcher`` (plans batches, sends them within the model's parallelism, splits a
batch the service refuses for its size, keeps each caller's failure with its caller),
``hold_policy`` (whether one-text calls wait for company).

May import: ``tokens``, ``errors``; the send function is handed in, so batching never
imports ``transport``. Imported by: ``embedding``, ``reranking``.
"""
