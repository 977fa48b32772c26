"""Export snowflake-ml-python's own signature objects and SQL conventions as a JSON fixture.

Run with an interop environment's Python, from the repository root:

    .interop/snowml26/bin/python interop/export_snowml_signatures.py   # 2.6.0
    .interop/snowml/bin/python interop/export_snowml_signatures.py     # 1.5.4

It imports the real objects of the installed snowflake-ml-python (nothing is copied by hand)
and writes ``tests/fixtures/snowml_signatures/<version>.json``: for each kind of model the
plugin serves, the target methods, their REST path, every input / output / param in
signature order (name, DataType, shape, nullability, default), and what snowflake-ml's own
code makes of each method in SQL: the manifest entry it registers (SQL name, one SQL
argument per input, then params with their SQL default, the return type), and, where the
version has services, the ``SVC!METHOD(...)`` statement that ``ModelVersion.run(...,
service_name=...)`` sends (captured from ``ServiceSQLClient.invoke_function_method`` with a
stub session: no Snowflake account, nothing downloaded). Inferred signatures are built by
the handlers' own inference functions (the sentence-transformers one from a local model
config). ``--check`` compares a fresh export with the committed file and exits 1 on drift.

The module imports only the standard library at its top, so ``interop/run.py`` (test venv)
can import ``fixture_row`` and run the check in each environment as a subprocess.

Over 300 lines because it is one script with one job (the fixture), run in two library
generations whose modules differ: each kind's describer keeps its 1.x and 2.x branches side by side.
"""

import argparse
import contextlib
import inspect
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile
import types

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "snowml_signatures")
ENVS = ("snowml26", "snowml")  # interop environments whose fixtures are committed (2.6.0, 1.5.4)
SCHEMA = 1

# A service named like this in the captured statements (placeholders, not a real account).
SERVICE = ("MY_DB", "MY_SCHEMA", "MY_SERVICE")
INPUT_QUERY = "SELECT * FROM INPUT_TABLE"

# Which plugin modes (python-lib/spcs_llm/modes.py) speak which snowflake-ml kind. This is
# our mapping, not snowflake-ml's; everything else in the fixture comes from the library.
PIPELINE_TASK_MODES = {
    "fill-mask": ["REGISTRY_FILL_MASK"],
    "token-classification": ["REGISTRY_TOKEN_CLASSIFICATION"],
    "question-answering": ["REGISTRY_QUESTION_ANSWERING"],
    "summarization": ["REGISTRY_SUMMARIZATION"],
    "table-question-answering": ["REGISTRY_TABLE_QUESTION_ANSWERING"],
    "text-classification": ["REGISTRY_TEXT_CLASSIFICATION", "REGISTRY_CROSS_ENCODER"],
    "text2text-generation": ["REGISTRY_TEXT2TEXT_GENERATION"],
    "translation": ["REGISTRY_TRANSLATION"],
    "zero-shot-classification": ["REGISTRY_ZERO_SHOT_CLASSIFICATION"],
    "zero-shot-image-classification": ["REGISTRY_ZERO_SHOT_IMAGE_CLASSIFICATION"],
    "text-generation": ["TEXT_GENERATION_LLAMA_2", "TEXT_GENERATION_MISTRAL", "TEXT_GENERATION_ZEPHYR",
                        "TEXT_GENERATION_FALCON", "TEXT_GENERATION_OTHER", "TEXT_GENERATION_LLAMA_3",
                        "TEXT_GENERATION_CHATML", "TEXT_GENERATION_CUSTOM_TEMPLATE", "REGISTRY_OPENAI_CHAT"],
    "feature-extraction": [],  # an embedding pipeline: recorded to show whether it can be auto-signed
}
# (variant name, pipeline params given at log time, has_chat_template) per task; the default first.
PIPELINE_VARIANTS = {
    "question-answering": [("default", {}, None), ("top_k=2", {"top_k": 2}, None)],
    "text-classification": [("default", {}, None), ("top_k=2", {"top_k": 2}, None)],
    "text-generation": [("with_chat_template", {}, True), ("without_chat_template", {}, False)],
}
OPENAI_CHAT_MODES = ["REGISTRY_OPENAI_CHAT"]
SENTENCE_TRANSFORMERS_MODES = ["REGISTRY_SENTENCE_TRANSFORMERS"]
EMBEDDING_DIM = 384  # all-MiniLM-L6-v2's, written into the local model config below


# -- helpers that run anywhere (stdlib only) --------------------------------------------

def fixture_path(version):
    return os.path.join(FIXTURES, "%s.json" % version)


def dumps(doc):
    """The fixture's one text form: sorted keys, lists in signature order, newline at the end."""
    return json.dumps(doc, indent=1, sort_keys=True, ensure_ascii=False) + "\n"


def fixture_row(env):
    """``(ok, detail)`` for ``interop/run.py``: the committed fixture equals a fresh export in ``env``."""
    python = os.path.join(ROOT, ".interop", env, "bin", "python")
    out = subprocess.run([python, os.path.abspath(__file__), "--check"], capture_output=True, text=True, cwd=ROOT)
    lines = (out.stdout + out.stderr).strip().splitlines()
    return out.returncode == 0, (lines[-1] if lines else "no output (exit %d)" % out.returncode)


# -- describing the library's objects --------------------------------------------------

def _shape(value):
    return None if value is None else list(value)


def _jsonable(value):
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):  # numpy scalars
        return value.item()
    return value


def _sql_type(spec):
    from snowflake.snowpark._internal import type_utils

    return type_utils.convert_sp_to_sf_type(spec.as_snowpark_type())


def describe_feature(feature):
    """One input or output, from the library's own ``to_dict()`` plus its SQL type."""
    raw = feature.to_dict()
    out = {"name": raw["name"], "class": type(feature).__name__, "shape": _shape(raw.get("shape")),
           "sql_type": _sql_type(feature)}
    if "specs" in raw:
        out["fields"] = [describe_feature(f) for f in feature._specs]
    else:
        out["dtype"] = raw["type"]
        out["nullable"] = raw.get("nullable", True)
    return out


def describe_param(param):
    """One param (2.x ``ParamSpec`` / ``ParamGroupSpec``) with its default and SQL type."""
    raw = param.to_dict()
    out = {"name": raw["name"], "class": type(param).__name__, "shape": _shape(raw.get("shape")),
           "default": _jsonable(raw.get("default_value")), "sql_type": _sql_type(param)}
    if "specs" in raw:
        out["fields"] = [describe_param(p) for p in param._specs]
    else:
        out["dtype"] = raw["dtype"]
    return out


def _params(signature):
    return list(getattr(signature, "params", None) or [])


def rest_path(method):
    # Ingress path of a method: "_" -> "-" (snowflake-ml-python's integration tests build it
    # this way, e.g. tests/integ/.../registry_model_deployment_test_base.py; not in the wheel).
    return "/" + method.replace("_", "-")


@contextlib.contextmanager
def _capabilities(features):
    """Platform capabilities as given (2.x reads them from the account; 1.5.4 has none)."""
    try:
        from snowflake.ml._internal import platform_capabilities
    except ImportError:
        yield
        return
    with platform_capabilities.PlatformCapabilities.mock_features(features):
        yield


def manifest_entry(method, signature, features):
    """The method as ``ModelMethod.save`` writes it into the model's MANIFEST (its SQL face)."""
    from snowflake.ml.model._model_composer.model_method import function_generator, model_method

    meta = types.SimpleNamespace(signatures={method: signature})
    with _capabilities(features), tempfile.TemporaryDirectory() as work:
        generator = function_generator.FunctionGenerator(pathlib.Path("model.zip"))
        entry = model_method.ModelMethod(meta, method, "PYTHON_RUNTIME", generator).save(pathlib.Path(work))
    return {k: _jsonable(v) for k, v in entry.items() if k in ("name", "inputs", "outputs", "params", "type")}


def service_call(method, signature):
    """The SQL that ``ModelVersion.run(X, service_name=...)`` sends, from snowflake-ml's own code.

    ``ModelOperator.invoke_method`` builds the arguments (one per input, then every param at its
    default) and ``ServiceSQLClient.invoke_function_method`` the statement; the session is a
    stub that records the statement. None where the version has no services client.
    """
    try:
        from snowflake.ml.model._client.sql import service as service_sql
    except ImportError:
        return None
    from unittest import mock

    from snowflake.ml._internal.utils import sql_identifier
    from snowflake.ml.model import model_signature
    from snowflake.ml.model._client.ops import param_utils

    class Session:
        statement = None

        def sql(self, query, *args, **kwargs):
            Session.statement = query
            return mock.MagicMock()

    rule = model_signature.SnowparkIdentifierRule.INFERRED
    input_args = [rule.get_sql_identifier_from_feature(f.name) for f in signature.inputs]
    returns = [(f.name, f.as_snowpark_type(), rule.get_sql_identifier_from_feature(f.name))
               for f in signature.outputs]
    params = param_utils.validate_and_resolve_params(None, _params(signature))
    frame = mock.MagicMock()
    frame.queries = {"queries": [INPUT_QUERY], "post_actions": []}
    db, schema, service = (sql_identifier.SqlIdentifier(n) for n in SERVICE)
    client = service_sql.ServiceSQLClient(Session(), database_name=db, schema_name=schema)
    with mock.patch.object(service_sql.ServiceSQLClient, "get_tmp_name_with_prefix", staticmethod(lambda p: p)):
        client.invoke_function_method(database_name=None, schema_name=None, service_name=service,
                                      method_name=sql_identifier.SqlIdentifier(method), input_df=frame,
                                      input_args=input_args, returns=returns, params=params)
    statement = " ".join(Session.statement.split())
    call = re.search(r"SELECT \*, (\S+?)\((.*)\) AS TMP_RESULT FROM", statement)
    return {
        "statement": statement,
        "function": call.group(1),
        "arguments_sql": call.group(2),
        "arguments": ([{"kind": "input", "name": f.name, "sql": str(a)} for f, a in zip(signature.inputs, input_args)]
                      + [{"kind": "param", "name": spec.name, "sql": param_utils.format_param_value_for_sql(v)}
                         for spec, (_, v) in zip(_params(signature), params or [])]),
        "source": "snowflake.ml.model._client.sql.service.ServiceSQLClient.invoke_function_method"
                  " (arguments from snowflake.ml.model._client.ops.model_ops.ModelOperator.invoke_method)",
    }


def describe_method(method, signature):
    """Everything about one target method of one signature."""
    return {
        "rest_path": rest_path(method),
        "inputs": [describe_feature(f) for f in signature.inputs],
        "outputs": [describe_feature(f) for f in signature.outputs],
        "params": [describe_param(p) for p in _params(signature)],
        "manifest": manifest_entry(method, signature, {}),
        # The return type when the account enables single-output native types (the rest is the same).
        "outputs_with_single_output_native_type": manifest_entry(
            method, signature, {"ENABLE_SINGLE_OUTPUT_NATIVE_TYPE": True})["outputs"],
        "service_call": service_call(method, signature),
    }


# -- the kinds the plugin serves ------------------------------------------------------

def openai_chat():
    """Every ``*SIGNATURE*`` dict of ``snowflake.ml.model.openai_signatures`` (absent in 1.5.4)."""
    try:
        from snowflake.ml.model import openai_signatures
    except ImportError:  # the message names a local path: keep it out of the fixture
        return {"available": False, "reason": "snowflake.ml.model has no module openai_signatures"}
    variants = {}
    for name in sorted(vars(openai_signatures)):
        value = getattr(openai_signatures, name)
        if name.startswith("_") or "SIGNATURE" not in name or not isinstance(value, dict):
            continue
        variants[name] = {
            "source": {"module": openai_signatures.__name__, "object": name, "how": "constant"},
            "plugin_modes": OPENAI_CHAT_MODES,
            "methods": {method: describe_method(method, sig) for method, sig in value.items()},
        }
    return {"available": True, "variants": variants}


def pipelines():
    """``huggingface_pipeline_signature_auto_infer`` per task, and the handler's defaults."""
    from snowflake.ml.model._signatures import utils as sig_utils

    handler_cls, handler_module = _pipeline_handler()
    infer = sig_utils.huggingface_pipeline_signature_auto_infer
    accepts_chat_template = "has_chat_template" in inspect.signature(infer).parameters
    method = handler_cls.DEFAULT_TARGET_METHODS[0]
    tasks = {}
    for task, modes in PIPELINE_TASK_MODES.items():
        for variant, params, chat_template in PIPELINE_VARIANTS.get(task, [("default", {}, None)]):
            if chat_template is not None and not accepts_chat_template:
                if chat_template is False:
                    continue  # one text-generation signature only: recorded as "default" below
                variant = "default"
            kwargs = {"has_chat_template": chat_template} if chat_template is not None and accepts_chat_template \
                else {}
            signature = infer(task, params=dict(params), **kwargs)
            key = task if variant == "default" else "%s[%s]" % (task, variant)
            entry = {
                "source": {"module": sig_utils.__name__, "object": "huggingface_pipeline_signature_auto_infer",
                           "how": "inferred: huggingface_pipeline_signature_auto_infer(%r, params=%s%s)" % (
                               task, json.dumps(params, sort_keys=True),
                               ", has_chat_template=%s" % chat_template if kwargs else "")},
                "plugin_modes": modes,
                "task": task,
                "pipeline_params": params,
            }
            if chat_template is not None and accepts_chat_template:
                entry["has_chat_template"] = chat_template
            if signature is None:
                entry["auto_signature"] = False
                entry["methods"] = {}
            else:
                entry["auto_signature"] = True
                entry["same_object_as"] = _same_object(signature)
                entry["methods"] = {method: describe_method(method, signature)}
            tasks[key] = entry
    return {
        "handler": {"module": handler_module, "class": handler_cls.__name__,
                    "handler_type": handler_cls.HANDLER_TYPE,
                    "default_target_methods": list(handler_cls.DEFAULT_TARGET_METHODS),
                    "is_auto_signature": bool(getattr(handler_cls, "IS_AUTO_SIGNATURE", False))},
        "tasks": tasks,
    }


def _same_object(signature):
    """The public openai_signatures constant this inferred signature *is*, if any."""
    try:
        from snowflake.ml.model import openai_signatures
    except ImportError:
        return None
    for name in sorted(vars(openai_signatures)):
        value = getattr(openai_signatures, name)
        if not name.startswith("_") and isinstance(value, dict) and any(v is signature for v in value.values()):
            return "%s.%s" % (openai_signatures.__name__, name)
    return None


def _pipeline_handler():
    try:
        from snowflake.ml.model._packager.model_handlers.huggingface import _handler as module
        return module.TransformersPipelineHandler, module.__name__
    except ImportError:  # 1.x
        from snowflake.ml.model._packager.model_handlers import huggingface_pipeline as module

        return module.HuggingFacePipelineHandler, module.__name__


def sentence_transformers():
    """The sentence-transformers handler: its methods and the signature it logs for each."""
    from snowflake.ml.model._packager.model_handlers import sentence_transformers as module

    handler = module.SentenceTransformerHandler
    out = {"handler": {"module": module.__name__, "class": handler.__name__, "handler_type": handler.HANDLER_TYPE,
                       "is_auto_signature": bool(getattr(handler, "IS_AUTO_SIGNATURE", False))},
           "plugin_modes": SENTENCE_TRANSFORMERS_MODES}
    for constant in ("DEFAULT_TARGET_METHODS",):
        if constant in vars(handler):
            out["handler"][constant.lower()] = list(getattr(handler, constant))
    for constant in ("_ALLOWED_TARGET_METHODS", "_DEFAULT_WRAPPER_TARGET_METHODS", "_POTENTIAL_DEFAULT_METHODS"):
        if hasattr(module, constant):
            out["handler"][constant.strip("_").lower()] = list(getattr(module, constant))
    for constant in ("_MIN_ENCODE_TRUNCATE_DIM_PARAM_VERSION", "_MIN_INIT_TRUNCATE_DIM_VERSION"):
        if hasattr(module, constant):
            out["handler"][constant.strip("_").lower()] = str(getattr(module, constant))
    cases = {}
    if hasattr(module, "_auto_infer_signature"):
        # 2.x: no sample data needed. Local logging of the snowflake-ml wrapper reads the embedding
        # size from the snapshot's config files; a live SentenceTransformer gives it directly.
        with tempfile.TemporaryDirectory() as snapshot:
            _write_local_model_config(snapshot)
            meta = types.SimpleNamespace(signatures={})
            handler._set_signatures_from_config(model_meta=meta, repo_snapshot_dir=snapshot, batch_size=None)
        cases["wrapper_local_config"] = {
            "source": {"module": module.__name__,
                       "object": "SentenceTransformerHandler._set_signatures_from_config",
                       "how": "inferred from a local model config (modules.json + 1_Pooling/config.json, "
                              "%d dimensions), batch_size not given" % EMBEDDING_DIM},
            "methods": {m: describe_method(m, s) for m, s in meta.signatures.items()},
        }
        for with_truncate in (True, False):
            key = "live_model_sentence_transformers_%s5" % (">=" if with_truncate else "<")
            signature = module._auto_infer_signature("encode", EMBEDDING_DIM, None,
                                                     include_truncate_dim_param=with_truncate)
            cases[key] = {
                "source": {"module": module.__name__, "object": "_auto_infer_signature",
                           "how": "inferred: _auto_infer_signature('encode', %d, None, include_truncate_dim_param=%s)"
                                  " (a live model logged with sentence-transformers %s 5.0.0 installed)"
                                  % (EMBEDDING_DIM, with_truncate, ">=" if with_truncate else "<")},
                "methods": {"encode": describe_method("encode", signature)},
            }
    else:
        # 1.x: no auto signature; the handler infers it from sample_input_data through its own
        # encode wrapper. The input column is the sample's ("sentence" here, the 2.x name).
        import pandas as pd

        from snowflake.ml.model._packager.model_handlers import _utils as handlers_utils

        class Model:
            def encode(self, sentences, batch_size=None):
                import numpy as np

                return np.zeros((len(sentences), EMBEDDING_DIM))

        model = Model()
        meta = types.SimpleNamespace(signatures={})
        handlers_utils.validate_signature(
            model=model, model_meta=meta, target_methods=["encode"],
            sample_input_data=pd.DataFrame({"sentence": ["a sentence"]}),
            get_prediction_fn=lambda name, data: module._sentence_transformer_encode(model, data))
        cases["sample_input_data"] = {
            "source": {"module": module.__name__, "object": "_sentence_transformer_encode + "
                       "model_handlers._utils.validate_signature",
                       "how": "inferred from sample_input_data pd.DataFrame({'sentence': [...]}) and an encode "
                              "returning %d floats per text (no auto signature in this version)" % EMBEDDING_DIM},
            "methods": {m: describe_method(m, s) for m, s in meta.signatures.items()},
        }
    out["cases"] = cases
    return out


def _write_local_model_config(folder):
    """The config files of all-MiniLM-L6-v2's layout (Transformer, mean Pooling, Normalize)."""
    modules = [{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
               {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
               {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}]
    with open(os.path.join(folder, "modules.json"), "w") as f:
        json.dump(modules, f)
    os.makedirs(os.path.join(folder, "1_Pooling"))
    with open(os.path.join(folder, "1_Pooling", "config.json"), "w") as f:
        json.dump({"word_embedding_dimension": EMBEDDING_DIM, "pooling_mode_mean_tokens": True}, f)
    os.makedirs(os.path.join(folder, "2_Normalize"))


def handlers():
    """Every registered model handler type, its class and default target methods."""
    from snowflake.ml.model._packager import model_handler

    register = getattr(model_handler, "_register_handlers", None)
    if register is not None and not model_handler._MODEL_HANDLER_REGISTRY:
        register()
    out = {}
    for handler_type, cls in sorted(model_handler._MODEL_HANDLER_REGISTRY.items()):
        out[handler_type] = {"module": cls.__module__, "class": cls.__name__,
                             "default_target_methods": list(getattr(cls, "DEFAULT_TARGET_METHODS", []) or [])}
    return out


def cross_encoder(handler_types):
    """Whether a handler for sentence-transformers' CrossEncoder exists (by handler name and class)."""
    found = {t: h for t, h in handler_types.items() if "cross" in t.lower() or "cross" in h["class"].lower()}
    return {
        "handler": found or None,
        "plugin_modes": ["REGISTRY_CROSS_ENCODER"],
        "note": ("a handler exists" if found else
                 "no model handler for CrossEncoder is registered in this version: a cross-encoder is logged "
                 "as a Hugging Face text-classification pipeline (see pipelines.tasks['text-classification']) "
                 "or as a CustomModel whose signature its author writes"),
    }


def data_types():
    """Each ``DataType``: its Snowpark type and the SQL type snowflake-ml declares for it."""
    from snowflake.ml.model._signatures import core
    from snowflake.snowpark._internal import type_utils

    out = {}
    for member in core.DataType:
        try:
            sp = member.as_snowpark_type()
            out[member.name] = {"snowpark": repr(sp), "sql": type_utils.convert_sp_to_sf_type(sp)}
        except Exception as exc:  # a type with no Snowpark counterpart in this version
            out[member.name] = {"snowpark": None, "sql": None, "error": type(exc).__name__}
    return out


def conventions():
    """Constants of snowflake-ml's service and function conventions, each with where it lives."""
    out = {}
    try:
        from snowflake.ml.model._client.ops import model_ops

        value = getattr(model_ops.ModelOperator, "INFERENCE_SERVICE_ENDPOINT_NAME", None)
        if value is not None:
            out["service_endpoint_name"] = {
                "value": value, "source": model_ops.__name__ + ".ModelOperator.INFERENCE_SERVICE_ENDPOINT_NAME",
                "meaning": "ModelOperator.show_services takes the ingress URL of the endpoint of this name only"}
    except ImportError:
        pass
    try:
        from snowflake.ml.model._model_composer.model_method import constants

        out["wide_input_column_limit"] = {
            "value": constants.SNOWPARK_UDF_INPUT_COL_LIMIT,
            "source": constants.__name__ + ".SNOWPARK_UDF_INPUT_COL_LIMIT",
            "meaning": "over this many arguments (inputs + params) one OBJECT argument replaces them"}
    except (ImportError, AttributeError):
        pass
    try:
        from snowflake.ml.model._model_composer.model_method import model_method

        types_ = getattr(model_method, "_NON_NATIVE_SINGLE_OUTPUT_SF_TYPES", None)
        if types_ is not None:
            out["non_native_single_output_sql_types"] = {
                "value": sorted(types_), "source": model_method.__name__ + "._NON_NATIVE_SINGLE_OUTPUT_SF_TYPES",
                "meaning": "a method's only output of these types stays packed in an OBJECT even when the "
                           "account enables ENABLE_SINGLE_OUTPUT_NATIVE_TYPE"}
    except ImportError:
        pass
    legacy = legacy_service_function()
    if legacy is not None:
        out["legacy_spcs_service_function"] = legacy
    return out


def legacy_service_function():
    """1.x's own SPCS deployment (``_deploy_client``): the service function DDL it ran."""
    try:
        from snowflake.ml.model._deploy_client.utils import constants, snowservice_client
    except ImportError:
        return None

    class Session:
        statements = []

        def sql(self, query, *args, **kwargs):
            Session.statements.append(query)
            return types.SimpleNamespace(collect=lambda **kw: [])

    client = snowservice_client.SnowServiceClient.__new__(snowservice_client.SnowServiceClient)
    client.session = Session()
    sql = client.create_or_replace_service_function("MY_DB.MY_SCHEMA.MY_FUNCTION", "MY_DB.MY_SCHEMA.MY_SERVICE")
    return {
        "ddl": " ".join(sql.split()),
        "endpoint_name": constants.PREDICT,
        "source": snowservice_client.__name__ + ".SnowServiceClient.create_or_replace_service_function"
                  " (defaults endpoint_name=path_at_service_endpoint=constants.PREDICT)",
        "call": "the function is called with one OBJECT_CONSTRUCT_KEEP_NULL('<input name>', <column>, ...) of "
                "every signature input (snowflake.ml.model._api.predict, deployment branch)",
    }


def export():
    """The whole fixture for the installed snowflake-ml-python."""
    from snowflake.ml import version as ml_version

    handler_types = handlers()
    return {
        "schema": SCHEMA,
        "library": "snowflake-ml-python",
        "version": ml_version.VERSION,
        "generated_by": "interop/export_snowml_signatures.py",
        "service_placeholders": {"service": ".".join(SERVICE), "input_query": INPUT_QUERY},
        "data_types": data_types(),
        "conventions": conventions(),
        "handlers": handler_types,
        "openai_chat": openai_chat(),
        "pipelines": pipelines(),
        "sentence_transformers": sentence_transformers(),
        "cross_encoder": cross_encoder(handler_types),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed fixture, exit 1 on drift")
    parser.add_argument("--out", default=FIXTURES, help="folder of the fixtures (default: %(default)s)")
    args = parser.parse_args(argv)
    import logging
    import warnings

    logging.disable(logging.WARNING)
    warnings.simplefilter("ignore")
    text = dumps(export())
    version = json.loads(text)["version"]
    path = os.path.join(args.out, "%s.json" % version)
    if args.check:
        try:
            with open(path, encoding="utf-8") as f:
                committed = f.read()
        except FileNotFoundError:
            print("snowflake-ml-python %s: no committed fixture %s (run make snowml-signatures)" % (version, path))
            return 1
        if committed != text:
            import difflib

            diff = list(difflib.unified_diff(committed.splitlines(), text.splitlines(), "committed", "fresh",
                                             lineterm="", n=1))
            print("\n".join(diff[:60]))
            print("snowflake-ml-python %s: %s differs from a fresh export (%d diff lines; run make snowml-signatures)"
                  % (version, os.path.relpath(path, ROOT), len(diff)))
            return 1
        print("snowflake-ml-python %s: %s equals a fresh export" % (version, os.path.relpath(path, ROOT)))
        return 0
    os.makedirs(args.out, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(text)
    print("snowflake-ml-python %s: wrote %s" % (version, os.path.relpath(path, ROOT)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
