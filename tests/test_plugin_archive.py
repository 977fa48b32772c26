"""The plugin archive holds only what DSS needs, and the validator catches broken descriptors."""

import json
import os
import re
import shutil
import sys
import zipfile

import pytest

from dss import ROOT

sys.path.insert(0, os.path.join(ROOT, "devtools"))
from build_plugin import build, llm_model_classes, validate  # noqa: E402


def test_archive_contents(tmp_path):
    target = build(ROOT, str(tmp_path))
    assert os.path.basename(target) == "dss-plugin-snowpark-container-services-llm-%s.zip" % plugin_version()
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


def plugin_version():
    with open(os.path.join(ROOT, "plugin.json"), encoding="utf-8") as f:
        return json.load(f)["version"]


def test_plugin_json_library_and_changelog_agree_on_2_0_0():
    # 2.0.0, not 1.0.0: the Java plugin of the same id is 1.0.0, and DSS must see an upgrade.
    import spcs_llm

    with open(os.path.join(ROOT, "CHANGELOG.md"), encoding="utf-8") as f:
        latest = re.search(r"^## \[?(\d+\.\d+\.\d+)", f.read(), re.MULTILINE).group(1)
    assert (plugin_version(), spcs_llm.__version__, latest) == ("2.0.0", "2.0.0", "2.0.0")


def test_the_real_descriptors_are_valid():
    assert validate(ROOT) == []


@pytest.fixture
def copy(tmp_path):
    root = tmp_path / "plugin"
    # Local environments stay out: .interop alone holds gigabytes of servers and models.
    shutil.copytree(ROOT, str(root), ignore=shutil.ignore_patterns(".venv*", ".interop", ".hypothesis", ".git",
                                                                   "dist", "__pycache__", ".pytest_cache"))
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
     "python-llms/snowpark-container-services-llm/llm.json: params[25] (oauth): parameterSetId 'oauth-creds' "
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
     "__version__ '2.0.0' differs from plugin.json version '1.0.1'"),
    (lambda r: (r / "CHANGELOG.md").write_text("# Changelog\n\n## 0.9.0\n"),
     "CHANGELOG.md: the latest entry is '0.9.0'; add one for 2.0.0"),
    (lambda r: edit(r / "code-env" / "python" / "desc.json", lambda d: d.update(acceptedPythonInterpreters=["PYTHON311"])),
     "acceptedPythonInterpreters lacks PYTHON310, PYTHON312, PYTHON39"),
])
def test_broken_descriptor_is_caught_precisely(copy, breakage, message):
    breakage(copy)
    problems = validate(str(copy))
    assert any(message in p for p in problems), problems
    with pytest.raises(SystemExit, match="The plugin is not valid"):
        build(str(copy), str(copy / "dist"))


LLM_PY = "python-llms/snowpark-container-services-llm/llm.py"
# The shape of llm.py after the split per capability: the embedding base imported with a fallback.
PER_CAPABILITY = '''
from dataiku.llm.python import BaseLLM
try:
    from dataiku.llm.python import BaseEmbeddingModel
except ImportError:
    from dataiku.llm.python.custom.base_embedding_model import BaseEmbeddingModel
from dataiku.llm.python import BaseRerankingModel as Reranker


class SPCSChatModel(BaseLLM):
    pass


class SPCSEmbeddingModel(BaseEmbeddingModel):
    pass


class SPCSRerankingModel(Reranker):
    pass
'''


@pytest.mark.parametrize("source, expected", [
    (PER_CAPABILITY, {"BaseLLM": ["SPCSChatModel"], "BaseEmbeddingModel": ["SPCSEmbeddingModel"],
                      "BaseRerankingModel": ["SPCSRerankingModel"]}),
    ("import dataiku.llm.python as dlp\nclass Chat(dlp.BaseLLM): pass\n", {"BaseLLM": ["Chat"]}),
    ("from dataiku.llm.python.custom.base_embedding_model import BaseEmbeddingModel\n"
     "class Shared: pass\nclass Embed(Shared, BaseEmbeddingModel): pass\n", {"BaseEmbeddingModel": ["Embed"]}),
    # Found by base class, not by name: a MyLLM that derives from nothing DSS knows is no model.
    ("class MyLLM(object): pass\n", {}),
    ("from spcs_llm.model import BaseLLM\nclass MyLLM(BaseLLM): pass\n", {}),
])
def test_model_classes_are_found_by_base_class(source, expected):
    assert llm_model_classes(source) == expected


def test_the_real_llm_py_has_one_class_per_capability():
    with open(os.path.join(ROOT, LLM_PY), encoding="utf-8") as f:
        found = llm_model_classes(f.read())
    assert found["BaseLLM"] == ["SPCSChatModel"] and found["BaseEmbeddingModel"] == ["SPCSEmbeddingModel"]


def test_llm_py_split_per_capability_is_valid(copy):
    (copy / LLM_PY).write_text(PER_CAPABILITY)
    assert validate(str(copy)) == []


def oauth_settings(root):
    return root / "parameter-sets" / "oauth-credentials" / "parameter-set.json"


@pytest.mark.parametrize("breakage, message", [
    (lambda r: (r / LLM_PY).write_text("class MyLLM(object):\n    pass\n"),
     LLM_PY + ": no class derives from BaseEmbeddingModel, BaseLLM, BaseRerankingModel"),
    (lambda r: (r / LLM_PY).write_text(PER_CAPABILITY + "\nclass Other(BaseLLM):\n    pass\n"),
     LLM_PY + ": 2 classes derive from BaseLLM (Other, SPCSChatModel): DSS needs exactly one per capability"),
    (lambda r: (r / LLM_PY).write_text("class (:\n"), LLM_PY + ": not valid Python"),
    (lambda r: edit(oauth_settings(r), lambda d: param(d, "snowflake_oauth")["credentialRequestSettings"].pop(
        "tokenEndpoint")),
     "(snowflake_oauth): an OAUTH2 credential request must declare credentialRequestSettings.tokenEndpoint"),
    (lambda r: edit(oauth_settings(r), lambda d: param(d, "snowflake_oauth").update(
        credentialRequestSettings={"type": "OAUTH"})),
     "(snowflake_oauth): credentialRequestSettings.type must be one of BASIC, OAUTH2, SINGLE_FIELD"),
    (lambda r: edit(llm_json(r), lambda d: param(d, "modelName").update(type="DATASET_COLUMN",
                                                                        datasetParamName="inputDataset")),
     "(modelName): datasetParamName 'inputDataset' names no param"),
    (lambda r: edit(llm_json(r), lambda d: param(d, "oauth").update(type="PRESETS", parameterSetId="nope")),
     "(oauth): parameterSetId 'nope' names no folder of parameter-sets/"),
])
def test_broken_model_class_or_typed_param_is_caught(copy, breakage, message):
    breakage(copy)
    problems = validate(str(copy))
    assert any(message in p for p in problems), problems


@pytest.mark.parametrize("kind", ["STRINGS", "INTS", "DOUBLES", "DATASET_COLUMNS", "PRESETS", "MODEL_EVALUATION_STORE",
                                  "KEY_VALUE_LIST", "OBJECT_LIST", "API_SERVICE"])
def test_types_of_dss_parameter_reference_are_known(copy, kind):
    extra = {"parameterSetId": "pat-credentials"} if kind == "PRESETS" else {}
    edit(llm_json(copy), lambda d: param(d, "modelName").update(type=kind, **extra))
    assert validate(str(copy)) == []
def recipe_json(root, name="embed-in-snowflake"):
    return root / "custom-recipes" / name / "recipe.json"


def test_archive_includes_the_push_down_recipes(tmp_path):
    with zipfile.ZipFile(build(ROOT, str(tmp_path))) as z:
        names = z.namelist()
    for recipe in ("embed-in-snowflake", "prompt-in-snowflake"):
        assert "custom-recipes/%s/recipe.json" % recipe in names
        assert "custom-recipes/%s/recipe.py" % recipe in names
    assert "python-lib/spcs_llm/pushdown/sql.py" in names


@pytest.mark.parametrize("breakage, message", [
    (lambda r: edit(recipe_json(r), lambda d: d.update(kind="SQL")), "recipe.json: kind must be 'PYTHON'"),
    (lambda r: edit(recipe_json(r), lambda d: d["outputRoles"][0].update(arity="ONE")),
     "outputRoles[0] (output): arity must be UNARY or NARY"),
    (lambda r: edit(recipe_json(r), lambda d: d.update(selectableFromDataset="source")),
     "selectableFromDataset 'source' names no input role"),
    (lambda r: edit(recipe_json(r), lambda d: param(d, "textColumn").update(columnRole="inputs")),
     "(textColumn): columnRole 'inputs' names no input role"),
    (lambda r: edit(recipe_json(r, "prompt-in-snowflake"), lambda d: param(d, "callMode").update(defaultValue="X")),
     "(callMode): defaultValue 'X' is not one of its choices"),
    (lambda r: (r / "custom-recipes" / "embed-in-snowflake" / "recipe.py").unlink(), "recipe.py: file is missing"),
])
def test_broken_recipe_descriptor_is_caught_precisely(copy, breakage, message):
    breakage(copy)
    problems = validate(str(copy))
    assert any(message in p for p in problems), problems
