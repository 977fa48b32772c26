"""spcs_llm.snowflake."""
