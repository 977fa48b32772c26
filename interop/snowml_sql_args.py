"""`make interop` rows: the push-down SQL argument lists, generated from snowflake-ml's own signature objects.

In the snowflake-ml-python 2.6.0 and 1.5.4 environments, ``export_snowml_signatures.py``
exports afresh (into a temporary folder, not the committed fixtures) what the real library
builds for each method: the MANIFEST entry ``ModelMethod.save`` writes (one SQL argument per
input, then the params with their SQL defaults) and the ``SVC!METHOD(...)`` statement
``ServiceSQLClient.invoke_function_method`` sends. From that export, the plugin's generator
(``devtools/pushdown_signatures.py``) derives the argument lists; each row compares them with
the ones the plugin ships (``python-lib/spcs_llm/pushdown/snowml_signatures.json``) and, for
2.6.0, the argument count and param literals of the plugin's own ``SVC!METHOD`` call with the
statement snowflake-ml sends.

Run by ``interop/run.py``; alone: ``.venv/bin/python interop/snowml_sql_args.py [--interop DIR]``.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [os.path.join(ROOT, "devtools"), os.path.join(ROOT, "python-lib")]

import pushdown_signatures  # noqa: E402

SERVER = "snowflake-ml-python signature objects"
ENVS = ("snowml26", "snowml")


def fresh_export(interop, folder):
    """Export both versions into ``folder`` with their own environments; returns {version: error or None}."""
    errors = {}
    for env in ENVS:
        python = os.path.join(interop, env, "bin", "python")
        out = subprocess.run([python, os.path.join(HERE, "export_snowml_signatures.py"), "--out", folder],
                             capture_output=True, text=True, cwd=ROOT)
        errors[env] = None if out.returncode == 0 else (out.stdout + out.stderr).strip().splitlines()[-1:]
    return errors


def rows(folder):
    """(feature, ok, detail) per signature the plugin ships, against the export in ``folder``."""
    from spcs_llm.pushdown import kinds, signatures, sql
    from spcs_llm.pushdown.plan import Table, build_plan

    pushdown_signatures.FIXTURES = folder
    fresh = pushdown_signatures.build()["signatures"]
    with open(pushdown_signatures.SHIPPED) as f:
        shipped = json.load(f)["signatures"]
    out = []
    for key in sorted(shipped):
        same = fresh.get(key) == shipped[key]
        args = len(shipped[key]["inputs"]) + len(shipped[key]["params"])
        detail = "%s %s: %d arguments (%d inputs, %d params)%s" % (
            shipped[key]["method"], "from " + shipped[key]["snowml"], args, len(shipped[key]["inputs"]),
            len(shipped[key]["params"]), "" if same else "; DIFFERS from the export")
        version, path = (pushdown_signatures.FROM_FIXTURES.get(key) or (None, None))[:2]
        if same and version == "2.6.0":
            node = json.load(open(os.path.join(folder, "2.6.0.json")))
            for step in path:
                node = node[step]
            kind = next(k for k in kinds.KINDS.values() if any(s.key == key for s in k.signatures))
            config = {"modelHandlingMode": kind.mode, "serviceName": "MY_DB.MY_SCHEMA.MY_SERVICE",
                      "callMode": "REGISTRY_METHOD", "methodSignature": key, "temperature": 1.0,
                      "maxOutputTokens": 250, "textColumn": "T", "promptTemplate": "{{T}}"}
            plan = build_plan(kind.capability, config, Table('"D"."S"."X"', ("T",)), Table('"D"."S"."Y"', ()))
            ours = sql.call_arguments(plan)
            theirs = node["service_call"]["arguments"]
            literal = all(_same(a, t["sql"]) for a, t in zip(ours, theirs) if t["kind"] == "param")
            same = len(ours) == len(theirs) and literal
            detail += "; the SVC!METHOD call %s snowflake-ml's" % ("matches" if same else "DIFFERS from")
        out.append(("SQL argument list: %s" % key, same, detail))
    return out


def _same(a, b):
    norm = {"[]": "ARRAY_CONSTRUCT()"}
    a, b = norm.get(a, a), norm.get(b, b)
    try:
        return float(a) == float(b)
    except ValueError:
        return a.upper() == b.upper()


def run(table, version=None, interop=os.path.join(ROOT, ".interop")):
    """Add the rows to ``interop/run.py``'s table (``version`` names the library version in the server column)."""
    with tempfile.TemporaryDirectory() as folder:
        errors = fresh_export(interop, folder)
        failed = {env: e for env, e in errors.items() if e}
        if failed:
            table.check(SERVER, "SQL argument lists: fresh export", lambda: (False, "export failed: %s" % failed))
            return
        names = "%s and %s" % (version("snowml26", "snowflake-ml-python"), version("snowml", "snowflake-ml-python")) \
            if version else "2.6.0 and 1.5.4"
        for feature, ok, detail in rows(folder):
            table.check("%s (%s)" % (SERVER, names), feature, lambda ok=ok, detail=detail: (ok, detail))


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--interop", default=os.path.join(ROOT, ".interop"), help="folder of the interop environments")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        errors = fresh_export(args.interop, folder)
        if any(errors.values()):
            print("export failed: %s" % errors)
            return 1
        results = rows(folder)
    for feature, ok, detail in results:
        print("%s %s: %s" % ("PASS" if ok else "FAIL", feature, detail))
    return 0 if all(ok for _, ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
