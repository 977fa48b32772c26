"""Snowflake SQL: connector sessions, identifiers, service lookup and auto-resume.

``connection`` (snowflake-connector-python opened with our credentials), ``services``
(SHOW SERVICES / ENDPOINTS, status, RESUME and SUSPEND), ``identifiers`` (validated and
quoted names, string literals), ``auto_resume`` (resume a suspended service once, then go on).

May import: ``auth``, ``wire``, ``errors``. Imported by: ``transport`` (auto-resume),
``settings``, ``pushdown`` and the admin tools.
"""
