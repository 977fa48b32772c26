"""How the doctor records a step (``Check``) and shows it: printed by the CLI, a table in the macro."""

from dataclasses import dataclass
from typing import Optional


@dataclass
class Check:
    """The outcome of one step.

    ``warn``: the step passed but something deserves the admin's attention (``fix`` says
    what); ``error``: the class name of the error behind a failed step, for callers that act
    on it (the macro resumes a service whose check failed with ``ServiceSuspendedError``).
    """

    step: str
    ok: bool
    detail: str
    fix: str = ""
    warn: bool = False
    error: Optional[str] = None

    @property
    def status(self):
        """OK, WARNING or FAILED: how the step is shown."""
        return "FAILED" if not self.ok else ("WARNING" if self.warn else "OK")


class Printer:
    """Writes each check as it completes: ``[ OK ]`` or ``[FAIL]``, the step, the detail and the fix."""

    def __init__(self, stream):
        self.stream = stream

    def check(self, check):
        if self.stream is None:
            return
        tag = {"OK": " OK ", "WARNING": "WARN", "FAILED": "FAIL"}[check.status]
        self.stream.write("[%s] %-15s %s\n" % (tag, check.step, check.detail))
        if (not check.ok or check.warn) and check.fix:
            self.stream.write("       %-15s Fix: %s\n" % ("", check.fix))
        self.stream.flush()


class Silent:
    """The output of ``run_checks`` when nobody reads it."""

    def check(self, check):
        pass
