"""``python -m spcs_llm.pushdown``: the push-down recipes from the command line.

Prints the SQL of an embedding or prompt run over a Snowflake table, or runs it with
``--run`` through snowflake-connector-python (the statements can also go into a
Snowflake Task). Credentials are given as to ``python -m spcs_llm.doctor`` (secrets from
files or environment variables, never arguments). Recipe settings use the recipe's
field names: ``--param textColumn=TEXT --param vectorDimensions=384`` or ``--config
recipe.json``.

    python -m spcs_llm.pushdown embed --input ML.DOCS.NOTES --output ML.DOCS.NOTES_EMB \\
        --columns ID,TEXT --param textColumn=TEXT --param serviceName=ML.SERVING.ST \\
        --param endpointName=inference
"""

import argparse
import json
import logging
import sys

from ..admin import doctor
from ..snowflake import connection
from ..errors import SPCSLLMError
from ..settings import parse_connection
from . import runner, sql
from .kinds import EMBEDDING, PROMPT
from .plan import build_plan, table_from_names

CAPABILITIES = {"embed": EMBEDDING, "prompt": PROMPT}


def parser():
    """The doctor's credential flags plus the recipe's."""
    p = argparse.ArgumentParser(prog="python -m spcs_llm.pushdown", description=__doc__.split("\n\n")[0],
                                parents=[doctor.parser()], conflict_handler="resolve")
    p.add_argument("capability", choices=sorted(CAPABILITIES), help="embed a column, or answer a prompt per row")
    p.add_argument("--input", required=True, help="input table, DB.SCHEMA.TABLE")
    p.add_argument("--output", required=True, help="output table, DB.SCHEMA.TABLE")
    p.add_argument("--columns", help="input columns, comma-separated (default: read from the table, which "
                                     "needs credentials)")
    p.add_argument("--config", help="JSON file of recipe settings (the recipe's field names)")
    p.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="one recipe setting")
    p.add_argument("--endpoint", help="ingress URL of the service: its service and endpoint are looked up")
    p.add_argument("--mode", help="modelHandlingMode of the service (as in the LLM Mesh connection)")
    p.add_argument("--output-exists", action="store_true",
                   help="print the incremental INSERT rather than the first run's CREATE TABLE")
    p.add_argument("--run", action="store_true", help="run the statements (default: print them)")
    return p


def recipe_config(args):
    """The recipe settings from --config, --param, --endpoint, --mode and --registry-method."""
    config = {}
    if args.config:
        with open(args.config) as f:
            config.update(json.load(f))
    for item in args.param:
        name, sep, value = item.partition("=")
        if not sep:
            raise SystemExit("--param %r is not NAME=VALUE" % item)
        config[name.strip()] = value
    for field, value in (("endpointUrl", args.endpoint), ("modelHandlingMode", args.mode),
                         ("registryMethod", args.registry_method)):
        if value:
            config[field] = value
    return config


def main(argv=None, stream=None, connect=connection.connect):
    """Entry point; returns the exit code."""
    stream = stream or sys.stdout
    args = parser().parse_args(argv)
    logging.basicConfig(level=logging.DEBUG if args.verbose else logging.INFO,
                        format="%(levelname)s %(name)s: %(message)s")
    config = recipe_config(args)
    needs_connection = args.run or not args.columns or bool(config.get("endpointUrl"))
    conn = None
    try:
        if needs_connection:
            credentials = doctor.config_from_args(args)
            _, account_url, credential = parse_connection(credentials)
            conn = connect(account_url, credential, args.role)
        engine = runner.ConnectorEngine(conn) if conn is not None else None
        columns = [c.strip() for c in args.columns.split(",")] if args.columns else _columns(engine, args.input)
        source = table_from_names(args.input, columns, "--input")
        output = table_from_names(args.output, (), "--output")
        services = runner.find_services(conn) if conn is not None and runner.needs_services(config) else None
        # Statements run through the Python connector, which supports VECTOR (a DSS dataset does not).
        plan = build_plan(CAPABILITIES[args.capability], config, source, output, services, vector_column=True)
        if not args.run:
            stream.write(";\n\n".join(sql.statements(plan, output_exists=args.output_exists)) + ";\n")
            return 0
        report = runner.run(plan, engine, runner.rates_from(config))
        stream.write(report.summary() + "\n")
        return 0
    except SPCSLLMError as exc:
        stream.write("error: %s\n" % exc)
        return 2
    finally:
        if conn is not None:
            conn.close()


def _columns(engine, table):
    name = table_from_names(table, (), "--input").name
    cur = engine.conn.cursor()
    try:
        cur.execute("SELECT * FROM %s LIMIT 0" % name)
        return [d[0] for d in cur.description]
    finally:
        cur.close()


if __name__ == "__main__":
    sys.exit(main())
