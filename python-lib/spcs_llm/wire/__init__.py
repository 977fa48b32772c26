"""spcs_llm.wire."""
