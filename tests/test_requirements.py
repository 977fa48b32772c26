"""The plugin's code environment asks for versions without known sandbox escapes (issue 14, item 4)."""

import os

from packaging.requirements import Requirement
from packaging.version import Version

from dss import ROOT


def _requirements():
    with open(os.path.join(ROOT, "code-env", "python", "spec", "requirements.txt")) as f:
        lines = [line.split("#")[0].strip() for line in f]
    return {r.name.lower(): r for r in (Requirement(line) for line in lines if line)}


def test_jinja2_older_than_3_1_6_cannot_be_installed():
    # Jinja2 < 3.1.6 lets a sandboxed template escape (CVE-2025-27516 and two earlier ones):
    # custom chat templates are pasted by admins and run in that sandbox.
    jinja = _requirements()["jinja2"]
    assert not jinja.specifier.contains(Version("3.1.5"))
    assert jinja.specifier.contains(Version("3.1.6"))
