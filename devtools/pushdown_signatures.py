"""Writes python-lib/spcs_llm/pushdown/snowml_signatures.json from snowflake-ml's own signatures.

The push-down recipes pass one SQL argument per input of a method's signature, then every
param at its default, as ``SVC!METHOD(...)`` does in snowflake-ml-python. The plugin cannot
import snowflake-ml (it is not in the code env), so the argument lists it needs are taken
from the fixtures that ``make snowml-signatures`` exports from the real library
(``tests/fixtures/snowml_signatures/<version>.json``: manifest inputs and params, their SQL
types and SQL defaults, the method, the output column) into one small JSON file shipped with
the plugin. ``tests/test_pushdown_signatures.py`` fails when the shipped file is not what this
script writes from the committed fixtures.

    .venv/bin/python devtools/pushdown_signatures.py [--check]
"""

import argparse
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "snowml_signatures")
SHIPPED = os.path.join(ROOT, "python-lib", "spcs_llm", "pushdown", "snowml_signatures.json")

# key -> (fixture version, path to the method in the fixture, label)
FROM_FIXTURES = {
    "ST_ENCODE": ("2.6.0", ("sentence_transformers", "cases", "wrapper_local_config", "methods", "encode"),
                  "snowflake-ml 2.x, sentence-transformers 5 or snowflake-ml's wrapper: sentence, batch_size, "
                  "truncate_dim"),
    "ST_ENCODE_NO_TRUNCATE_DIM": ("2.6.0", ("sentence_transformers", "cases", "live_model_sentence_transformers_<5",
                                            "methods", "encode"),
                                  "snowflake-ml 2.x, sentence-transformers before 5: sentence, batch_size"),
    "ST_ENCODE_1X": ("1.5.4", ("sentence_transformers", "cases", "sample_input_data", "methods", "encode"),
                     "snowflake-ml 1.x (signature from sample data): sentence -> output_feature_0"),
    "OPENAI_CHAT_SIGNATURE": ("2.6.0", ("openai_chat", "variants", "OPENAI_CHAT_SIGNATURE", "methods", "__call__"),
                              "OPENAI_CHAT_SIGNATURE (snowflake-ml 2.x default): 10 columns, content as parts"),
    "OPENAI_CHAT_SIGNATURE_WITH_CONTENT_FORMAT_STRING": (
        "2.6.0", ("openai_chat", "variants", "OPENAI_CHAT_SIGNATURE_WITH_CONTENT_FORMAT_STRING", "methods", "__call__"),
        "OPENAI_CHAT_SIGNATURE_WITH_CONTENT_FORMAT_STRING: 10 columns, content as a string"),
    "OPENAI_CHAT_WITH_PARAMS_SIGNATURE": (
        "2.6.0", ("openai_chat", "variants", "OPENAI_CHAT_WITH_PARAMS_SIGNATURE", "methods", "__call__"),
        "OPENAI_CHAT_WITH_PARAMS_SIGNATURE (also text-generation pipelines with a chat template): messages, then "
        "10 params"),
    "OPENAI_CHAT_WITH_PARAMS_SIGNATURE_WITH_CONTENT_FORMAT_STRING": (
        "2.6.0", ("openai_chat", "variants", "OPENAI_CHAT_WITH_PARAMS_SIGNATURE_WITH_CONTENT_FORMAT_STRING",
                  "methods", "__call__"),
        "OPENAI_CHAT_WITH_PARAMS_SIGNATURE_WITH_CONTENT_FORMAT_STRING: messages as a string, then 10 params"),
    "TEXT2TEXT_2X": ("2.6.0", ("pipelines", "tasks", "text2text-generation", "methods", "__call__"),
                     "text2text-generation pipeline, snowflake-ml 2.x: inputs, then its 62 params"),
    "TEXT2TEXT_1X": ("1.5.4", ("pipelines", "tasks", "text2text-generation", "methods", "__call__"),
                     "text2text-generation pipeline, snowflake-ml 1.x: inputs"),
    "SUMMARIZATION_2X": ("2.6.0", ("pipelines", "tasks", "summarization", "methods", "__call__"),
                         "summarization pipeline, snowflake-ml 2.x: documents, then its 62 params"),
    "SUMMARIZATION_1X": ("1.5.4", ("pipelines", "tasks", "summarization", "methods", "__call__"),
                         "summarization pipeline, snowflake-ml 1.x: documents"),
    "TRANSLATION_2X": ("2.6.0", ("pipelines", "tasks", "translation", "methods", "__call__"),
                       "translation pipeline, snowflake-ml 2.x: inputs, then its 62 params"),
    "TRANSLATION_1X": ("1.5.4", ("pipelines", "tasks", "translation", "methods", "__call__"),
                       "translation pipeline, snowflake-ml 1.x: inputs"),
    "TEXT_GENERATION_2X": ("2.6.0", ("pipelines", "tasks", "text-generation[without_chat_template]", "methods",
                                     "__call__"),
                           "text-generation pipeline without a chat template, snowflake-ml 2.x: inputs, then its "
                           "60 params"),
    "TEXT_GENERATION_1X": ("1.5.4", ("pipelines", "tasks", "text-generation", "methods", "__call__"),
                           "text-generation pipeline, snowflake-ml 1.x: inputs"),
}
# Before snowflake-ml added response_format (1.47 in its public history, commit 483522ea), the
# all-columns chat signature had nine inputs; it is 2.6.0's string-content one without that input.
NINE_COLUMNS = ("OPENAI_CHAT_SIGNATURE_NINE_COLUMNS", "OPENAI_CHAT_SIGNATURE_WITH_CONTENT_FORMAT_STRING",
                "response_format", "OPENAI_CHAT_SIGNATURE before response_format (snowflake-ml 1.12 to 1.46): "
                                   "9 columns, content as a string")


def _method(version, path):
    with open(os.path.join(FIXTURES, "%s.json" % version)) as f:
        node = json.load(f)
    for step in path:
        node = node[step]
    return node


def _entry(version, path, label):
    method = _method(version, path)
    manifest = method["manifest"]
    inputs = [[i["name"], m["type"]] for i, m in zip(method["inputs"], manifest["inputs"])]
    params = [[p["name"], m["type"], m["default"]] for p, m in zip(method["params"], manifest.get("params") or [])]
    entry = {"label": label, "snowml": version, "fixture": "/".join(path), "method": manifest["name"].lower(),
             "inputs": inputs, "params": params,
             "outputs": [o["name"] for o in method["outputs"]],
             "native_single_output": method["outputs_with_single_output_native_type"] != [{"type": "OBJECT"}]}
    messages = [i for i in method["inputs"] if i["name"] == "messages"]
    if messages:
        content = [f for f in messages[0]["fields"] if f["name"] == "content"][0]
        entry["content"] = "parts" if content["class"] == "FeatureGroupSpec" else "string"
    return entry


def build():
    """The shipped table, from the committed fixtures."""
    table = {key: _entry(*spec) for key, spec in sorted(FROM_FIXTURES.items())}
    key, base, dropped, label = NINE_COLUMNS
    nine = dict(table[base], label=label, snowml="1.12-1.46", fixture=table[base]["fixture"] + " minus " + dropped)
    nine["inputs"] = [i for i in nine["inputs"] if i[0] != dropped]
    table[key] = nine
    return {"generated_by": "devtools/pushdown_signatures.py", "from": "tests/fixtures/snowml_signatures",
            "signatures": dict(sorted(table.items()))}


def render(table):
    return json.dumps(table, indent=1, sort_keys=True) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="exit 1 if the shipped file differs")
    args = p.parse_args(argv)
    text = render(build())
    if args.check:
        with open(SHIPPED) as f:
            same = f.read() == text
        print("snowml_signatures.json is %s" % ("up to date" if same else "stale: run devtools/pushdown_signatures.py"))
        return 0 if same else 1
    with open(SHIPPED, "w") as f:
        f.write(text)
    print("wrote %s (%d signatures)" % (os.path.relpath(SHIPPED, ROOT), len(build()["signatures"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
