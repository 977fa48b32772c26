"""The README and docs/ say what is true: every command and file they name exists, the capability
table is ``modes.py``'s, and the connection's descriptions say what each field also applies to.

Links and anchors are checked by md-dead-link-check in ``make docs-check`` (run by ``.ci/run``).
"""

import glob
import json
import os
import re
import sys

from dss import ROOT
from spcs_llm import modes

sys.path.insert(0, os.path.join(ROOT, "devtools"))
from check_docs import Checker, documents  # noqa: E402


def test_every_command_and_file_the_readme_and_docs_name_exists():
    checker = Checker()
    for rel in documents():
        checker.check(rel)
    assert checker.problems == []
    assert {"README.md", "docs/speed.md", "docs/reliability.md", "docs/interoperability.md"} <= set(documents())


def test_the_checker_finds_a_missing_target_module_flag_file_and_test():
    text = "\n".join([
        "```sh",
        "make demo && make no-such-target",
        "PYTHONPATH=python-lib python -m spcs_llm.doctor --endpoint x \\",
        "    --no-such-flag 1",
        "python -m spcs_llm.no_such_module",
        "pip install -r no-such-requirements.txt",
        "```",
        "Run `make test`, see `resource/snowflake_setup.sql`, `resource/nothing.sql`,",
        "`tests/test_doctor.py::test_wrong_token` and `tests/test_doctor.py::test_that_was_never_written`.",
    ])
    problems = Checker().check_text("example.md", text)
    assert problems == [
        "example.md:2: make target 'no-such-target' does not exist in the Makefile",
        "example.md:3: python -m spcs_llm.doctor has no flag --no-such-flag (not in its --help)",
        "example.md:5: python -m spcs_llm.no_such_module: no such module in python-lib/ or standin/",
        "example.md:6: no-such-requirements.txt does not exist",
        "example.md:8: resource/nothing.sql does not exist",
        "example.md:9: tests/test_doctor.py defines no test test_that_was_never_written",
    ]


def _capability_rows():
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as f:
        text = f.read()
    rows = {}
    for line in text.split("\n"):
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) == 5 and cells[0] in ("Chat completion", "Text embedding", "Reranking"):
            rows[cells[0]] = (cells[3], cells[4])
    return rows


def _modes_named(cell):
    names = set()
    for token in re.findall(r"`([A-Z0-9_*]+)`", cell):
        names |= {m for m in modes.MODE_NAMES if re.fullmatch(token.replace("*", ".*"), m)}
    if "every pipeline task" in cell:
        names |= set(modes.PIPELINE_MODES)
    return names


def test_the_readmes_capability_table_is_the_one_in_modes_py():
    rows = _capability_rows()
    assert set(rows) == {"Chat completion", "Text embedding", "Reranking"}
    for label, capability in (("Chat completion", modes.CHAT), ("Text embedding", modes.EMBEDDING),
                              ("Reranking", modes.RERANKING)):
        serve, cannot = rows[label]
        assert _modes_named(serve) == set(modes.modes_for(capability)), label
        assert _modes_named(cannot) == set(modes.MODE_NAMES) - set(modes.modes_for(capability)), label


def _descriptions():
    with open(os.path.join(ROOT, "python-llms", "snowpark-container-services-llm", "llm.json"), encoding="utf-8") as f:
        return {p["name"]: p.get("description", "") for p in json.load(f)["params"] if "name" in p}


def test_connection_fields_say_when_they_apply_to_reranking_too_and_when_costs_stay_zero():
    d = _descriptions()
    for field in ("embeddingBatchSize", "embeddingMaxRequestBytes", "maxConcurrentRequests"):
        assert "reranking" in d[field], field
    for field in ("spcsCreditsPerHourCost", "snowflakeCreditCost"):
        assert "Costs stay 0 until both" in d[field], field


def test_the_plugin_description_names_every_capability_and_both_push_down_recipes():
    with open(os.path.join(ROOT, "plugin.json"), encoding="utf-8") as f:
        description = json.load(f)["meta"]["description"]
    for capability in ("chat", "embedding", "reranking"):
        assert capability in description
    recipes = glob.glob(os.path.join(ROOT, "custom-recipes", "*", "recipe.json"))
    assert len(recipes) == 2
    for path in recipes:
        with open(path, encoding="utf-8") as f:
            assert json.load(f)["meta"]["label"] in description, path
