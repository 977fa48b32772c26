"""Push-down recipes: embed a column or answer a prompt per row inside Snowflake.

``plan`` validates the recipe settings, ``sql`` writes the statements, ``runner`` runs them
(through DSS's ``SQLExecutor2`` or snowflake-connector-python) and reports what the run
cost; ``python -m spcs_llm.pushdown`` is the command-line twin of the two recipes.

May import: ``settings``, ``snowflake``, ``protocols``, ``wire``, ``errors``, and the
doctor's credential flags (``admin.doctor``) for the CLI. Imported by: the recipes in
``custom-recipes/``.
"""
