"""spcs_llm.batching."""
