"""The layout of python-lib/spcs_llm is its architecture: imports flow only down the layers.

``.importlinter`` lists the layers (top to bottom) and forbids import cycles between
sibling modules at any depth; import-linter checks the real import graph. DSS's entry
points (``llm.py``, the recipes, the macros) import only the public face.
"""

import ast
import glob
import os
import shutil
import subprocess
import sys

import pytest

from dss import ROOT

CONFIG = os.path.join(ROOT, ".importlinter")
LIB = os.path.join(ROOT, "python-lib")

# What each kind of DSS entry point may import from the library.
ENTRY_POINTS = {
    "python-llms/*/llm.py": {"spcs_llm.chat", "spcs_llm.embedding", "spcs_llm.reranking", "spcs_llm.settings"},
    "custom-recipes/*/recipe.py": {"spcs_llm.pushdown.recipe"},
    "python-runnables/*/runnable.py": {"spcs_llm.admin"},
}


def lint_imports(lib_path):
    """import-linter's verdict on the package found at ``lib_path`` (exit code, report)."""
    pytest.importorskip("importlinter")  # import-linter needs Python 3.11+; the 3.11 run checks the source
    command = os.path.join(os.path.dirname(sys.executable), "lint-imports")
    done = subprocess.run([command, CONFIG, "--no-cache"], cwd=ROOT, capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=lib_path))
    return done.returncode, done.stdout + done.stderr


def test_imports_flow_down_the_layers_and_form_no_cycle():
    code, report = lint_imports(LIB)
    assert code == 0, report
    assert "2 kept, 0 broken" in report, report


@pytest.mark.parametrize("module, line, broken", [
    ("wire/urls.py", "from ..client import ModelClient", "spcs_llm.wire is not allowed to import spcs_llm.client"),
    ("protocols/answer_checks.py", "from . import rerank", "No cycles are allowed in spcs_llm.protocols"),
])
def test_the_contract_catches_an_upward_import_and_a_cycle(tmp_path, module, line, broken):
    copy = tmp_path / "python-lib"
    shutil.copytree(os.path.join(LIB, "spcs_llm"), copy / "spcs_llm", ignore=shutil.ignore_patterns("__pycache__"))
    with open(copy / "spcs_llm" / module, "a") as f:
        f.write("\n%s  # noqa\n" % line)
    if "rerank" in line:  # the other half of the cycle already exists: rerank imports answer_checks
        assert "from .answer_checks import" in (copy / "spcs_llm" / "protocols" / "rerank.py").read_text()
    code, report = lint_imports(str(copy))
    assert code != 0 and broken in report, report


def _library_imports(path):
    tree = ast.parse(open(path).read())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("spcs_llm"):
            yield node.module
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("spcs_llm"):
                    yield alias.name


@pytest.mark.parametrize("pattern", sorted(ENTRY_POINTS))
def test_dss_entry_points_import_only_the_public_face(pattern):
    paths = glob.glob(os.path.join(ROOT, pattern))
    assert paths, pattern
    for path in paths:
        imported = set(_library_imports(path))
        assert imported, path
        assert imported <= ENTRY_POINTS[pattern], (path, imported - ENTRY_POINTS[pattern])


def test_every_subpackage_says_its_job_and_its_neighbours():
    for init in glob.glob(os.path.join(LIB, "spcs_llm", "*", "__init__.py")):
        doc = ast.get_docstring(ast.parse(open(init).read())) or ""
        package = os.path.basename(os.path.dirname(init))
        assert "May import" in doc and "Imported by" in doc, "%s/__init__.py: %r" % (package, doc[:80])
