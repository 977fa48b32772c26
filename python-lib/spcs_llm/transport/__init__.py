"""spcs_llm.transport."""
