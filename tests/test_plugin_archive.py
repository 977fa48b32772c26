"""The plugin archive holds only what DSS needs, and the validator catches broken descriptors."""

import json
import os
import shutil
import sys
import zipfile

import pytest

from dss import ROOT

sys.path.insert(0, os.path.join(ROOT, "devtools"))
from build_plugin import build, validate  # noqa: E402


def test_archive_contents(tmp_path):
    target = build(ROOT, str(tmp_path))
    assert os.path.basename(target) == "dss-plugin-snowpark-container-services-llm-1.0.0.zip"
    with zipfile.ZipFile(target) as z:
        names = z.namelist()
        descriptors = {n: json.loads(z.read(n)) for n in names if n.endswith(".json")}
    for required in ("plugin.json", "python-llms/snowpark-container-services-llm/llm.json",
                     "python-llms/snowpark-container-services-llm/llm.py", "python-runnables/spcs-services/runnable.py",
                     "parameter-sets/oauth-credentials/parameter-set.json", "code-env/python/desc.json",
                     "code-env/python/spec/requirements.txt", "python-lib/spcs_llm/chat.py"):
        assert required in names
    assert not [n for n in names if n.startswith(("tests/", "devtools/", "standin/", "demo/", ".venv", "dist/"))
                or "__pycache__" in n or n.endswith(".pyc")]
    assert descriptors["plugin.json"]["id"] == "snowpark-container-services-llm"
    assert all(isinstance(d, dict) for d in descriptors.values())


def test_the_real_descriptors_are_valid():
    assert validate(ROOT) == []


@pytest.fixture
def copy(tmp_path):
    root = tmp_path / "plugin"
    shutil.copytree(ROOT, str(root), ignore=shutil.ignore_patterns(".venv*", ".git", "dist", "__pycache__",
                                                                   ".pytest_cache"))
    return root


def edit(path, change):
    data = json.loads(path.read_text())
    change(data)
    path.write_text(json.dumps(data))


def llm_json(root):
    return root / "python-llms" / "snowpark-container-services-llm" / "llm.json"


def param(data, name):
    return next(p for p in data["params"] if p.get("name") == name)


@pytest.mark.parametrize("breakage, message", [
    (lambda r: edit(llm_json(r), lambda d: param(d, "oauth").update(parameterSetId="oauth-creds")),
     "python-llms/snowpark-container-services-llm/llm.json: params[21] (oauth): parameterSetId 'oauth-creds' "
     "names no folder of parameter-sets/"),
    (lambda r: edit(llm_json(r), lambda d: param(d, "modelName").update(visibilityCondition="model.modelMode == 'X'")),
     "(modelName): visibilityCondition names unknown param 'modelMode'"),
    (lambda r: edit(llm_json(r), lambda d: param(d, "maxParallelism").update(type="INTEGER")),
     "(maxParallelism): unknown type 'INTEGER'"),
    (lambda r: edit(llm_json(r), lambda d: param(d, "authMode").update(defaultValue="BASIC")),
     "(authMode): defaultValue 'BASIC' is not one of its choices"),
    (lambda r: edit(llm_json(r), lambda d: param(d, "llmEndpointUrl").pop("label")),
     "(llmEndpointUrl): label is missing"),
    (lambda r: llm_json(r).write_text('{"meta": {'), "llm.json: not valid JSON"),
    (lambda r: edit(r / "plugin.json", lambda d: d.update(version="1.0.1")),
     "__version__ '1.0.0' differs from plugin.json version '1.0.1'"),
    (lambda r: (r / "CHANGELOG.md").write_text("# Changelog\n\n## 0.9.0\n"),
     "CHANGELOG.md: the latest entry is '0.9.0'; add one for 1.0.0"),
    (lambda r: edit(r / "code-env" / "python" / "desc.json", lambda d: d.update(acceptedPythonInterpreters=["PYTHON311"])),
     "acceptedPythonInterpreters lacks PYTHON310, PYTHON312, PYTHON39"),
])
def test_broken_descriptor_is_caught_precisely(copy, breakage, message):
    breakage(copy)
    problems = validate(str(copy))
    assert any(message in p for p in problems), problems
    with pytest.raises(SystemExit, match="The plugin is not valid"):
        build(str(copy), str(copy / "dist"))
