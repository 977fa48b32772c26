"""Embed in Snowflake: only hands the recipe's config to the library."""

from spcs_llm.pushdown.recipe import run_recipe

run_recipe("embedding")
