"""``make plugin``: validate every descriptor, then zip only what DSS needs into dist/.

    python devtools/build_plugin.py [--root .] [--dist dist] [--check-only]

The validator reports each problem with its file and field; the archive is not built if
there is any.
"""

import argparse
import ast
import json
import os
import re
import sys
import zipfile

PLUGIN_ID = "snowpark-container-services-llm"
# Folders DSS reads from a plugin; nothing else goes into the archive.
INCLUDED = ("plugin.json", "python-lib", "python-llms", "python-runnables", "custom-recipes", "parameter-sets",
            "code-env", "resource")
EXCLUDED_PARTS = ("__pycache__", ".pytest_cache", ".venv")
EXCLUDED_SUFFIXES = (".pyc", ".pyo")
# The parameter types of DSS's parameter reference (doc.dataiku.com, plugins/reference/params),
# cross-checked with the types DSS's own form code handles.
PARAM_TYPES = {
    "STRING", "STRINGS", "INT", "INTS", "DOUBLE", "DOUBLES", "BOOLEAN", "PASSWORD", "TEXTAREA", "DATE",
    "SELECT", "MULTISELECT", "MAP", "KEY_VALUE_LIST", "ARRAY", "OBJECT_LIST", "SEPARATOR", "CREDENTIAL_REQUEST",
    "DATASET", "DATASETS", "DATASET_COLUMN", "DATASET_COLUMNS", "COLUMN", "COLUMNS", "MANAGED_FOLDER", "FOLDER",
    "SAVED_MODEL", "MODEL", "MODEL_EVALUATION_STORE", "ML_TASK", "VISUAL_ANALYSIS", "CONNECTION", "CONNECTIONS",
    "PRESET", "PRESETS", "PROJECT", "SCENARIO", "API_SERVICE", "API_SERVICE_VERSION", "BUNDLE", "CLUSTER",
    "CODE_ENV", "PLUGIN", "LLM", "KNOWLEDGE_BANK",
}
CREDENTIAL_REQUEST_TYPES = {"SINGLE_FIELD", "BASIC", "OAUTH2"}
# DSS's parameter reference: an OAUTH2 credential request names these (a preset's own fields of the
# same names may then hold the account's values, as in Dataiku's ServiceNow plugin).
OAUTH2_SETTINGS = ("authorizationEndpoint", "tokenEndpoint", "scope")
# DSS instantiates the class of llm.py that derives from the base of the capability the admin chose.
LLM_BASES = {"BaseLLM", "BaseEmbeddingModel", "BaseRerankingModel"}
LLM_BASE_MODULES = {
    "dataiku.llm.python": LLM_BASES,
    # Some DSS 14 builds expose the embedding base only here.
    "dataiku.llm.python.custom.base_embedding_model": {"BaseEmbeddingModel"},
}
PYTHONS = {"PYTHON39", "PYTHON310", "PYTHON311", "PYTHON312"}


def _load(root, rel, problems):
    path = os.path.join(root, rel)
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        problems.append("%s: file is missing" % rel)
    except ValueError as exc:
        problems.append("%s: not valid JSON (%s)" % (rel, exc))
    return None


def descriptors(root):
    """(relative path, kind) of every component and parameter-set descriptor."""
    found = []
    for folder, name, kind in (("python-llms", "llm.json", "llm"), ("python-runnables", "runnable.json", "macro"),
                               ("parameter-sets", "parameter-set.json", "parameter-set")):
        base = os.path.join(root, folder)
        for entry in sorted(os.listdir(base)) if os.path.isdir(base) else []:
            if os.path.isdir(os.path.join(base, entry)):
                found.append((os.path.join(folder, entry, name), kind))
    return found


def validate(root):
    """Every problem found in the plugin at ``root`` (an empty list when it is fine)."""
    problems = []
    plugin = _load(root, "plugin.json", problems) or {}
    if plugin.get("id") != PLUGIN_ID:
        problems.append("plugin.json: id must be %r, got %r" % (PLUGIN_ID, plugin.get("id")))
    for key in ("label", "description"):
        if not (plugin.get("meta") or {}).get(key):
            problems.append("plugin.json: meta.%s is missing" % key)
    version = plugin.get("version")
    if not version or not re.fullmatch(r"\d+\.\d+\.\d+", str(version)):
        problems.append("plugin.json: version must be X.Y.Z, got %r" % version)
    _check_versions(root, version, problems)
    parameter_sets = {os.path.basename(os.path.dirname(rel)) for rel, kind in descriptors(root) if kind == "parameter-set"}
    for rel, kind in descriptors(root):
        data = _load(root, rel, problems)
        if data is None:
            continue
        _check_meta(rel, data, problems)
        _check_params(rel, data.get("params"), parameter_sets, problems)
        _check_params_setup(root, rel, data, problems)
        code = rel.replace("llm.json", "llm.py").replace("runnable.json", "runnable.py")
        if kind == "llm":
            _check_llm_classes(root, code, problems)
        if kind == "macro" and not _defines_class(root, code, "MyRunnable"):
            problems.append("%s: must define class MyRunnable" % code)
    problems.extend(validate_recipes(root))
    env = _load(root, "code-env/python/desc.json", problems) or {}
    missing = PYTHONS - set(env.get("acceptedPythonInterpreters") or [])
    if missing:
        problems.append("code-env/python/desc.json: acceptedPythonInterpreters lacks %s" % ", ".join(sorted(missing)))
    if not os.path.isfile(os.path.join(root, "code-env/python/spec/requirements.txt")):
        problems.append("code-env/python/spec/requirements.txt: file is missing")
    return problems


def _check_meta(rel, data, problems):
    """Every descriptor needs a label and a description: DSS shows both."""
    for key in ("label", "description"):
        if not (data.get("meta") or {}).get(key):
            problems.append("%s: meta.%s is missing" % (rel, key))


def _check_params(rel, params, parameter_sets, problems):
    if not isinstance(params, list):
        problems.append("%s: params must be a list" % rel)
        return
    names = [p.get("name") for p in params if isinstance(p, dict)]
    seen = set()
    for i, p in enumerate(params):
        where = "%s: params[%d] (%s)" % (rel, i, p.get("name") if isinstance(p, dict) else "?")
        if not isinstance(p, dict):
            problems.append("%s: not an object" % where)
            continue
        kind = p.get("type")
        if kind not in PARAM_TYPES:
            problems.append("%s: unknown type %r" % (where, kind))
        if not p.get("name"):
            problems.append("%s: name is missing" % where)
        elif p["name"] in seen:
            problems.append("%s: name is used twice" % where)
        seen.add(p.get("name"))
        if not p.get("label"):
            problems.append("%s: label is missing" % where)
        if kind != "SEPARATOR" and not p.get("description"):
            problems.append("%s: description is missing" % where)
        _check_typed_param(where, p, names, problems)
        if kind in ("PRESET", "PRESETS") and p.get("parameterSetId") not in parameter_sets:
            problems.append("%s: parameterSetId %r names no folder of parameter-sets/" % (where, p.get("parameterSetId")))
        if kind in ("SELECT", "MULTISELECT") and p.get("getChoicesFromPython"):
            pass  # DSS's reference: choices from the component's paramsPythonSetup (checked in _check_params_setup)
        elif kind in ("SELECT", "MULTISELECT"):
            values = [c.get("value") for c in p.get("selectChoices") or []]
            if not values:
                problems.append("%s: selectChoices is empty" % where)
            if "defaultValue" in p and p["defaultValue"] not in values:
                problems.append("%s: defaultValue %r is not one of its choices" % (where, p["defaultValue"]))
        for ref in re.findall(r"model\.([A-Za-z_][A-Za-z0-9_]*)", p.get("visibilityCondition") or ""):
            if ref not in names:
                problems.append("%s: visibilityCondition names unknown param %r" % (where, ref))


def _check_params_setup(root, rel, data, problems):
    """Dynamic choices (DSS's reference): ``paramsPythonSetup`` names a file of resource/ defining ``do``."""
    dynamic = [p.get("name") for p in data.get("params") or [] if isinstance(p, dict) and p.get("getChoicesFromPython")]
    setup = data.get("paramsPythonSetup")
    if dynamic and not setup:
        problems.append("%s: %s get their choices from Python, but paramsPythonSetup is missing"
                        % (rel, ", ".join(map(str, dynamic))))
    if setup:
        path = os.path.join(root, "resource", setup)
        if not os.path.isfile(path):
            problems.append("%s: paramsPythonSetup %r names no file of resource/" % (rel, setup))
        elif not _defines_function(path, "do"):
            problems.append("%s: resource/%s must define do(payload, config, plugin_config, inputs)" % (rel, setup))


def _defines_function(path, name):
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    return any(isinstance(n, ast.FunctionDef) and n.name == name for n in tree.body)


def _check_typed_param(where, p, names, problems):
    """What DSS's parameter reference requires of some types beyond name, label and description."""
    kind = p.get("type")
    if kind == "CREDENTIAL_REQUEST":
        settings = p.get("credentialRequestSettings")
        if not isinstance(settings, dict) or settings.get("type") not in CREDENTIAL_REQUEST_TYPES:
            problems.append("%s: credentialRequestSettings.type must be one of %s"
                            % (where, ", ".join(sorted(CREDENTIAL_REQUEST_TYPES))))
        elif settings["type"] == "OAUTH2":
            for key in OAUTH2_SETTINGS:
                if not isinstance(settings.get(key), str):
                    problems.append("%s: an OAUTH2 credential request must declare credentialRequestSettings.%s"
                                    % (where, key))
    if kind in ("DATASET_COLUMN", "DATASET_COLUMNS") and p.get("datasetParamName") is not None \
            and p["datasetParamName"] not in names:
        problems.append("%s: datasetParamName %r names no param" % (where, p["datasetParamName"]))
    if kind in ("COLUMN", "COLUMNS") and not p.get("columnRole"):
        problems.append("%s: columnRole is missing" % where)


def llm_model_classes(source):
    """``{base name: [class names]}`` for the classes of ``source`` that derive from a DSS model base.

    Reads the code with ``ast`` (never imports it): a base counts when it is imported from
    ``dataiku.llm.python`` (or the older embedding path), under any alias, inside a
    try/except or not, or reached through a class of the same file.
    """
    tree = ast.parse(source)
    aliases, modules = {}, {}
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module in LLM_BASE_MODULES:
            for name in node.names:
                if name.name in LLM_BASE_MODULES[node.module]:
                    aliases[name.asname or name.name] = name.name
        elif isinstance(node, ast.Import):
            for name in node.names:
                if name.name in LLM_BASE_MODULES:
                    modules[name.asname or name.name] = name.name
    classes = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.ClassDef)}

    def bases_of(cls, seen):
        found = set()
        for base in cls.bases:
            if isinstance(base, ast.Name) and base.id in aliases:
                found.add(aliases[base.id])
            elif isinstance(base, ast.Name) and base.id in classes and base.id not in seen:
                found |= bases_of(classes[base.id], seen | {base.id})
            elif isinstance(base, ast.Attribute):
                owner = _dotted(base.value)
                if owner in modules and base.attr in LLM_BASE_MODULES[modules[owner]]:
                    found.add(base.attr)
        return found

    result = {}
    for name, cls in classes.items():
        for base in bases_of(cls, {name}):
            result.setdefault(base, []).append(name)
    return result


def _dotted(node):
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        owner = _dotted(node.value)
        return owner and owner + "." + node.attr
    return None


def _check_llm_classes(root, rel, problems):
    """A python-llms component needs a class per capability, found by base class as DSS does."""
    try:
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            found = llm_model_classes(f.read())
    except OSError:
        problems.append("%s: file is missing" % rel)
        return
    except SyntaxError as exc:
        problems.append("%s: not valid Python (line %s: %s)" % (rel, exc.lineno, exc.msg))
        return
    if not found:
        problems.append("%s: no class derives from %s (imported from dataiku.llm.python)"
                        % (rel, ", ".join(sorted(LLM_BASES))))
    for base, names in sorted(found.items()):
        if len(names) > 1:
            problems.append("%s: %d classes derive from %s (%s): DSS needs exactly one per capability"
                            % (rel, len(names), base, ", ".join(sorted(names))))


def validate_recipes(root):
    """Problems of the custom recipes (custom-recipes/<id>/recipe.json and recipe.py)."""
    problems = []
    base = os.path.join(root, "custom-recipes")
    for entry in sorted(os.listdir(base)) if os.path.isdir(base) else []:
        if not os.path.isdir(os.path.join(base, entry)):
            continue
        rel = os.path.join("custom-recipes", entry, "recipe.json")
        data = _load(root, rel, problems)
        if data is None:
            continue
        _check_meta(rel, data, problems)
        if data.get("kind") != "PYTHON":
            problems.append("%s: kind must be 'PYTHON', got %r" % (rel, data.get("kind")))
        roles = {}
        for side in ("inputRoles", "outputRoles"):
            roles[side] = _check_roles(rel, side, data.get(side), problems)
        if data.get("selectableFromDataset") and data["selectableFromDataset"] not in roles["inputRoles"]:
            problems.append("%s: selectableFromDataset %r names no input role" % (rel, data["selectableFromDataset"]))
        _check_params(rel, data.get("params"), set(), problems)
        for i, p in enumerate(data.get("params") or []):
            if isinstance(p, dict) and p.get("type") in ("COLUMN", "COLUMNS") and p.get("columnRole") not in \
                    roles["inputRoles"]:
                problems.append("%s: params[%d] (%s): columnRole %r names no input role" % (
                    rel, i, p.get("name"), p.get("columnRole")))
        if not os.path.isfile(os.path.join(root, "custom-recipes", entry, "recipe.py")):
            problems.append("%s: file is missing" % os.path.join("custom-recipes", entry, "recipe.py"))
    return problems


def _check_roles(rel, side, roles, problems):
    """The role names of one side; each role needs a name, a label and a UNARY or NARY arity."""
    if not isinstance(roles, list) or not roles:
        problems.append("%s: %s must be a non-empty list" % (rel, side))
        return set()
    names = set()
    for i, role in enumerate(roles):
        where = "%s: %s[%d] (%s)" % (rel, side, i, role.get("name") if isinstance(role, dict) else "?")
        if not isinstance(role, dict) or not role.get("name"):
            problems.append("%s: name is missing" % where)
            continue
        if role["name"] in names:
            problems.append("%s: name is used twice" % where)
        names.add(role["name"])
        if not role.get("label"):
            problems.append("%s: label is missing" % where)
        if role.get("arity") not in ("UNARY", "NARY"):
            problems.append("%s: arity must be UNARY or NARY, got %r" % (where, role.get("arity")))
    return names


def _defines_class(root, rel, name):
    try:
        with open(os.path.join(root, rel), encoding="utf-8") as f:
            tree = ast.parse(f.read())
    except (OSError, SyntaxError):
        return False
    return any(isinstance(n, ast.ClassDef) and n.name == name for n in tree.body)


def _check_versions(root, version, problems):
    init = os.path.join(root, "python-lib", "spcs_llm", "__init__.py")
    try:
        with open(init, encoding="utf-8") as f:
            lib = re.search(r'__version__ = "([^"]+)"', f.read())
    except OSError:
        lib = None
    if not lib or lib.group(1) != version:
        problems.append("python-lib/spcs_llm/__init__.py: __version__ %r differs from plugin.json version %r"
                        % (lib.group(1) if lib else None, version))
    try:
        with open(os.path.join(root, "CHANGELOG.md"), encoding="utf-8") as f:
            headings = re.findall(r"^## \[?(\d+\.\d+\.\d+)", f.read(), re.MULTILINE)
    except OSError:
        headings = []
    if not headings or headings[0] != version:
        problems.append("CHANGELOG.md: the latest entry is %r; add one for %s" % (headings[0] if headings else None,
                                                                                   version))


def archive_files(root):
    """Relative paths of the files that go into the archive, sorted."""
    files = []
    for item in INCLUDED:
        path = os.path.join(root, item)
        if os.path.isfile(path):
            files.append(item)
            continue
        for folder, dirs, names in os.walk(path):
            dirs[:] = sorted(d for d in dirs if d not in EXCLUDED_PARTS)
            for name in names:
                if not name.endswith(EXCLUDED_SUFFIXES):
                    files.append(os.path.relpath(os.path.join(folder, name), root))
    return sorted(files)


def build(root, dist):
    """Validate and zip; return the archive's path. Raises SystemExit listing every problem."""
    problems = validate(root)
    if problems:
        raise SystemExit("The plugin is not valid:\n  " + "\n  ".join(problems))
    with open(os.path.join(root, "plugin.json"), encoding="utf-8") as f:
        version = json.load(f)["version"]
    os.makedirs(dist, exist_ok=True)
    target = os.path.join(dist, "dss-plugin-%s-%s.zip" % (PLUGIN_ID, version))
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
        for rel in archive_files(root):
            z.write(os.path.join(root, rel), rel)
    return target


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p.add_argument("--dist", default=None)
    p.add_argument("--check-only", action="store_true")
    args = p.parse_args(argv)
    if args.check_only:
        problems = validate(args.root)
        print("\n".join(problems) or "All descriptors are valid.")
        return 1 if problems else 0
    target = build(args.root, args.dist or os.path.join(args.root, "dist"))
    print("Built %s (%d files)" % (target, len(archive_files(args.root))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
