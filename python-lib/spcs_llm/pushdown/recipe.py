"""The two push-down recipes inside DSS: read the recipe's config and datasets, run the plan in Snowflake."""

import logging

from ..errors import ConfigError
from ..snowflake.identifiers import check_identifier
from . import runner
from .plan import Table, build_plan, kind_for

logger = logging.getLogger(__name__)


def dataset_table(dataset, role):
    """A ``Table`` for a DSS dataset on Snowflake: its resolved quoted name and its columns."""
    info = (dataset.get_location_info() or {}).get("info") or {}
    if info.get("databaseType") not in (None, "Snowflake"):
        raise ConfigError(role, "dataset %s is on %s, not Snowflake." % (dataset.name, info.get("databaseType")))
    name = info.get("quotedResolvedTableName")
    if not name:
        raise ConfigError(role, "dataset %s is not a Snowflake table." % dataset.name)
    columns = [c["name"] for c in dataset.read_schema(raise_if_empty=False)]
    return Table(check_identifier(name, role), tuple(columns)), info.get("connectionName")


def run_recipe(capability):
    """Entry point of ``recipe.py``: returns the ``RunReport``."""
    import dataiku
    from dataiku.customrecipe import get_input_names_for_role, get_output_names_for_role, get_recipe_config

    config = get_recipe_config()
    kind_for(capability, config)  # an OpenAI-only service is refused before anything runs
    source_ds = dataiku.Dataset(get_input_names_for_role("input")[0])
    output_ds = dataiku.Dataset(get_output_names_for_role("output")[0])
    source, source_connection = dataset_table(source_ds, "input dataset")
    output, output_connection = dataset_table(output_ds, "output dataset")
    if source_connection and output_connection and source_connection != output_connection:
        raise ConfigError("output dataset", "is on connection %s, the input on %s: both must be on the same "
                                            "Snowflake connection for the work to run in Snowflake." % (
                                                output_connection, source_connection))
    engine = runner.DSSEngine(dataiku.SQLExecutor2, source_ds, output_ds)
    services = runner.find_services(engine) if runner.needs_services(config) else None
    plan = build_plan(capability, config, source, output, services)
    rates = runner.rates_from(config)
    return runner.run_in_dss(plan, engine, rates)
