"""The *Test this model* macro: the doctor's checks on the models of a Custom LLM connection, inside DSS.

The admin picks a connection and one of its models (or all): each model's settings are read
from the connection through the DSS API (``connection_models``), the credential comes from
the macro's own preset fields (DSS resolves a preset for the user who runs the macro), and
``doctor.checks.run_checks`` runs the same steps as ``python -m spcs_llm.doctor``, plus the
cost settings. Progress goes to DSS in percent of the models tested; a suspended service
can be resumed (opt-in: it spends credits), with the seconds waited reported as progress.
The result is a DSS ``ResultTable``: model, step, result, what was seen, what to do.
``python-runnables/test-model/runnable.py`` only hands its config and DSS's callback here.
"""

import logging
import time

from ..errors import ConfigError, SPCSLLMError
from ..settings import parse_settings
from ..snowflake import connection, services
from . import service_macro
from .doctor.checks import run_checks
from .doctor.report import Check
from .provision import CAPABILITIES as PROVISION_CAPABILITIES, COMPONENT_ID, PLUGIN_ID

logger = logging.getLogger(__name__)

ALL_MODELS = "__ALL__"
PROGRESS = (100, "NONE")  # percent of the models tested
STEPS_PER_MODEL = 8  # about how many checks a model gets: each moves its share of the bar
PRESETS = {"OAUTH": "oauth", "KEYPAIR_JWT": "keypair", "PAT": "pat"}
PRESET_LABELS = {"oauth": "Snowflake OAuth", "keypair": "Key pair", "pat": "Programmatic access token"}
# The capability a connection's model was given -> the doctor's. DSS's values for chat and
# embedding are those provisioning writes; RERANKING is our reading (the LLM purpose of that name).
CAPABILITY_OF = dict({v: ("chat" if k == "TEXT_COMPLETION" else "embedding") for k, v in PROVISION_CAPABILITIES.items()},
                     TEXT_COMPLETION="chat", TEXT_EMBEDDING="embedding", RERANKING="reranking")
COLUMNS = (("model", "Model"), ("step", "Step"), ("result", "Result"), ("detail", "What was seen"),
           ("fix", "What to do"))


def connection_models(raw):
    """``[{id, label, capability, config}]``: this plugin's models in a connection's raw settings.

    DSS does not document the JSON of a Custom LLM connection; this reads what provisioning
    writes (``provision.connection_params``: ``params.models[]`` with ``pluginId``, ``type``,
    ``capability`` and ``customConfig``), in this one place.
    """
    models = []
    for m in ((raw or {}).get("params") or {}).get("models") or []:
        if m.get("pluginId", PLUGIN_ID) != PLUGIN_ID and m.get("type") != COMPONENT_ID:
            continue
        models.append({"id": m.get("id") or "?", "label": m.get("label") or m.get("id") or "?",
                       "capability": CAPABILITY_OF.get(m.get("capability"), "auto"),
                       "config": dict(m.get("customConfig") or {})})
    return models


def read_models(client, name):
    """The models of connection ``name`` through the DSS API; our error when it cannot be read."""
    try:
        raw = client.get_connection(name).get_settings().get_raw()
    except Exception as exc:  # dataikuapi's errors: ours, with the fix
        raise ConfigError("connection", "DSS would not give the settings of connection %r (%s). Reading a "
                                        "connection's settings needs a DSS administrator: run the macro as one."
                          % (name, str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__)) from None
    models = connection_models(raw)
    if not models:
        raise ConfigError("connection", "%r has no model of this plugin: pick a Custom LLM connection whose "
                                        "models use Snowpark Container Services LLM." % name)
    return models


def choices(parameter, config, client):
    """The dynamic choices of the macro's form (``resource/model_test_choices.py``)."""
    if parameter == "connection":
        names = sorted(client.list_connections_names("CustomLLM"))
        return [{"value": n, "label": n} for n in names]
    if parameter == "model":
        if not config.get("connection"):
            return [{"value": ALL_MODELS, "label": "All models (pick a connection first)"}]
        models = read_models(client, config["connection"])
        return [{"value": ALL_MODELS, "label": "All %d models of the connection" % len(models)}] + [
            {"value": m["id"], "label": "%s (%s)" % (m["label"], m["capability"])} for m in models]
    return []


def run(config, client, progress=None, connect=connection.connect, clock=time.monotonic):
    """Test the chosen models; return the ResultTable's rows and its header as ``(rows, header)``."""
    name = (config.get("connection") or "").strip()
    if not name:
        raise ConfigError("connection", "is empty: pick the Custom LLM connection whose models to test.")
    models = read_models(client, name)
    wanted = config.get("model") or ALL_MODELS
    if wanted != ALL_MODELS:
        models = [m for m in models if m["id"] == wanted]
        if not models:
            raise ConfigError("model", "connection %r has no model %r: pick one from the list." % (name, wanted))
    report = progress or (lambda current: None)
    rows, failed = [], []
    for i, model in enumerate(models):
        bar = _Bar(report, i * 100.0 / len(models), 100.0 / len(models))
        checks = _test_one(model, config, bar, connect, clock)
        rows += [[model["label"], c.step, c.status, c.detail, c.fix] for c in checks]
        if any(not c.ok for c in checks):
            failed.append(model["label"])
    report(100)
    header = "%d model(s) of connection %s tested: %s." % (
        len(models), name, "all passed" if not failed else "%s need(s) attention" % ", ".join(failed))
    return rows, header


class _Bar:
    """One model's share of the progress bar, moved by each check."""

    def __init__(self, report, start, share):
        self.report, self.start, self.share, self.done, self.fraction = report, start, share, 0, 0.0

    def check(self, check):
        self.done += 1
        self.moved(min(self.done, STEPS_PER_MODEL - 1) / STEPS_PER_MODEL)

    def waiting(self, part):
        """``part`` (0 to 1) of a wait done: the bar moves through half of what is left of this model's share."""
        self.moved(self.fraction + (1.0 - self.fraction) * 0.5 * min(part, 1.0))

    def moved(self, fraction):
        self.fraction = max(self.fraction, min(fraction, 1.0))  # never backwards
        self.report(int(self.start + self.share * self.fraction))


def _test_one(model, config, bar, connect, clock):
    model_config = dict(model["config"])
    preset = PRESETS.get((model_config.get("authMode") or "OAUTH").upper())
    if preset and not config.get(preset):
        return [Check("credential", False, "this model authenticates with %s, and the macro's '%s' field is empty."
                      % (model_config.get("authMode") or "OAUTH", PRESET_LABELS[preset]),
                      "Pick, in the macro's '%s' field, the preset this model uses in the connection."
                      % PRESET_LABELS[preset])]
    if preset:
        model_config[preset] = config[preset]  # the preset as DSS resolved it for the user running the macro
    checks, _ = run_checks(model_config, model["capability"], bar, check_costs=True)
    suspended = any(c.error == "ServiceSuspendedError" for c in checks)
    if suspended and config.get("resumeSuspended"):
        resumed = _resume(model_config, config, bar, connect, clock)
        checks.append(resumed)
        if resumed.ok:
            again, _ = run_checks(model_config, model["capability"], bar, check_costs=True)
            checks += [Check("%s (after resume)" % c.step, c.ok, c.detail, c.fix, c.warn, c.error) for c in again]
    elif suspended:
        checks.append(Check("resume", False, "the service is suspended; the macro did not resume it.",
                            "Tick 'Resume a suspended service' and run the macro again (resuming spends credits), "
                            "or use the services macro's Resume action."))
    return checks


def _resume(model_config, config, bar, connect, clock):
    """Resume the model's service through SQL and wait for READY, reporting the seconds waited as progress."""
    try:
        settings = parse_settings(model_config)
    except ConfigError as exc:
        return Check("resume", False, str(exc), "Correct the field named above.")
    if not settings.account_url:
        return Check("resume", False, "resuming needs a Snowflake session, and this model has no "
                                      "'snowflakeAccountUrl'.", "Fill 'snowflakeAccountUrl' in the model's settings.")
    timeout = float(config.get("resumeTimeoutSeconds") or 600)
    started = clock()
    seen = []
    try:
        conn = service_macro.open_session(connect, settings.account_url, settings.credential)
        try:
            name = (settings.auto_resume.service_name if settings.auto_resume else None) or \
                model_config.get("serviceName") or _discover(conn, settings)
            if service_macro.run_sql(lambda: services.service_status(conn, name), "SYSTEM$GET_SERVICE_STATUS",
                                     name) == "SUSPENDED":
                service_macro.run_sql(lambda: services.alter_service(conn, name, "RESUME"),
                                      "ALTER SERVICE %s RESUME" % name, name)

            def on_status(status):
                seen.append(status)
                bar.waiting((clock() - started) / timeout)

            service_macro.run_sql(lambda: services.wait_for_status(conn, name, ("READY",), timeout=timeout,
                                                                    poll=float(config.get("pollSeconds") or 5),
                                                                    on_status=on_status),
                                  "SYSTEM$GET_SERVICE_STATUS", name)
        finally:
            conn.close()
    except SPCSLLMError as exc:
        return Check("resume", False, str(exc), "Resume the service yourself (ALTER SERVICE <name> RESUME) or fix "
                                                "the grant named above.", error=type(exc).__name__)
    return Check("resume", True, "ALTER SERVICE %s RESUME: READY after %.0f s (statuses seen: %s)."
                 % (name, clock() - started, " → ".join(service_macro._dedupe(seen))))


def _discover(conn, settings):
    found = services.service_for_host(service_macro.run_sql(lambda: services.list_services(conn),
                                                            "SHOW SERVICES IN ACCOUNT"), settings.ingress_host)
    if found is None:
        raise ConfigError("serviceName", "no service visible to this role has an endpoint at %s: set the model's "
                                         "'serviceName'." % settings.ingress_host)
    return found.quoted_name
