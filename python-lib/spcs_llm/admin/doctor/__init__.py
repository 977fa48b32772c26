"""The doctor: check an SPCS endpoint step by step and say what to fix.

``checks`` (the steps), ``report`` (the ``Check`` record and its printer), ``serving`` (parallel or queued
service), ``cli`` (``python -m spcs_llm.doctor``: flags, secrets from files or environment
variables, the printed report).
"""

from .checks import dss_settings, run_checks  # noqa: F401
from .report import Check  # noqa: F401
from .cli import config_from_args, main, parser  # noqa: F401
