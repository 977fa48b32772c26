"""How the doctor records a step (``Check``) and prints it."""

from dataclasses import dataclass


@dataclass
class Check:
    """The outcome of one step."""

    step: str
    ok: bool
    detail: str
    fix: str = ""


class Printer:
    """Writes each check as it completes: ``[ OK ]`` or ``[FAIL]``, the step, the detail and the fix."""

    def __init__(self, stream):
        self.stream = stream

    def check(self, check):
        if self.stream is None:
            return
        self.stream.write("[%s] %-15s %s\n" % (" OK " if check.ok else "FAIL", check.step, check.detail))
        if not check.ok and check.fix:
            self.stream.write("       %-15s Fix: %s\n" % ("", check.fix))
        self.stream.flush()


class Silent:
    """The output of ``run_checks`` when nobody reads it."""

    def check(self, check):
        pass
