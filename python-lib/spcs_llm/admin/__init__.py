"""spcs_llm.admin."""
