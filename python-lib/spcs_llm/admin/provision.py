"""``python -m spcs_llm.provision spec.yaml``: install the plugin and its connection on a DSS instance.

(Over 300 lines for a reason: one spec's whole path, plugin, code env, connections and who may
use them, compared and written the same way, reads best in one module.)

Idempotent: the plugin is installed when absent and updated only when the archive's
version differs; its code environment is created when the plugin has none and updated after
a plugin update; each Custom LLM connection is created when absent and saved only when
its definition differs. Only what the spec names is written: other params of a connection,
its models that the spec does not list and settings the spec leaves out are kept. Secrets
that DSS returns encrypted are not compared (a secret that changed alone is not detected:
change it in DSS). Uses dataiku-api-client (``DSS_HOST`` and ``DSS_API_KEY`` from the
environment, or ``--host`` and ``--api-key-env``). Values written ``${env:NAME}`` in the
spec are read from the environment; no credential is ever printed.

Spec (YAML or JSON)::

    plugin_archive: dist/dss-plugin-snowpark-container-services-llm-2.0.0.zip
    python_interpreter: PYTHON311        # optional: the code env's Python (default: the plugin's)
    connections:
      - name: spcs-llms
        description: Models hosted in Snowpark Container Services
        usable_by: ALLOWED                 # ALL (every DSS user) or ALLOWED (only these groups)
        allowed_groups: [data-scientists]
        models:
          - id: llama-chat
            label: Llama 3.1 8B (SPCS)
            capability: TEXT_COMPLETION
            settings:
              llmEndpointUrl: abc-myorg-myaccount.snowflakecomputing.app
              modelHandlingMode: OPENAI_COMPATIBLE
              authMode: PAT
              pat: {token: "${env:SNOWFLAKE_PAT}"}
"""

import argparse
import copy
import json
import logging
import os
import re
import sys
import zipfile

PLUGIN_ID = "snowpark-container-services-llm"
COMPONENT_ID = "snowpark-container-services-llm"
CAPABILITIES = {"TEXT_COMPLETION": "TEXT_COMPLETION_MULTIMODAL", "TEXT_EMBEDDING": "TEXT_EMBEDDING_EXTRACTION"}
SECRET_KEYS = {"snowflake_oauth", "token", "privateKey", "privateKeyPassphrase", "password", "apiKey"}
USABLE_BY = ("ALL", "ALLOWED")  # dataikuapi DSSClient.create_connection: usable_by
_ENV = re.compile(r"\$\{env:([A-Za-z_][A-Za-z0-9_]*)\}")

logger = logging.getLogger(__name__)


class SpecError(ValueError):
    """The provisioning spec is wrong; the message names the entry."""


def load_spec(path):
    """The spec from a YAML or JSON file."""
    with open(path, encoding="utf-8") as f:
        text = f.read()
    if path.endswith((".yaml", ".yml")):
        import yaml

        return yaml.safe_load(text)
    return json.loads(text)


def resolve_env(value, environ=None):
    """``value`` with every ``${env:NAME}`` replaced from the environment (a missing one is an error)."""
    environ = os.environ if environ is None else environ
    if isinstance(value, str):
        def sub(m):
            if m.group(1) not in environ:
                raise SpecError("environment variable %s is not set" % m.group(1))
            return environ[m.group(1)]
        return _ENV.sub(sub, value)
    if isinstance(value, dict):
        return {k: resolve_env(v, environ) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve_env(v, environ) for v in value]
    return value


def connection_params(spec):
    """The ``params`` of a Custom LLM connection for one spec entry.

    DSS does not document this JSON publicly; the layout below (one entry per model naming
    the plugin component, its capability and its settings) is our reading of what the
    connection form saves, kept in this one function so that it is easy to adjust.
    """
    models = []
    for i, m in enumerate(spec.get("models") or []):
        if not m.get("id"):
            raise SpecError("connections[%s].models[%d]: 'id' is missing" % (spec.get("name"), i))
        capability = (m.get("capability") or "TEXT_COMPLETION").upper()
        if capability not in CAPABILITIES:
            raise SpecError("model %s: capability must be one of %s" % (m["id"], ", ".join(CAPABILITIES)))
        models.append({"id": m["id"], "label": m.get("label") or m["id"], "capability": CAPABILITIES[capability],
                       "type": COMPONENT_ID, "pluginId": PLUGIN_ID, "enabled": True,
                       "customConfig": copy.deepcopy(m.get("settings") or {})})
    if not models:
        raise SpecError("connection %s has no models" % spec.get("name"))
    return {"models": models}


def connection_access(spec):
    """Who may use the connection, as the connection definition holds it (``usableBy``, ``allowedGroups``).

    Only what the spec names: a spec without ``usable_by`` leaves the access control of an
    existing connection as it is (a new one is usable by all, as ``create_connection``'s default).
    """
    name = spec.get("name")
    usable_by = spec.get("usable_by")
    groups = spec.get("allowed_groups")
    if usable_by is None:
        if groups is not None:
            raise SpecError("connection %s: 'allowed_groups' needs usable_by: ALLOWED" % name)
        return {}
    usable_by = str(usable_by).strip().upper()
    if usable_by not in USABLE_BY:
        raise SpecError("connection %s: usable_by must be one of %s" % (name, ", ".join(USABLE_BY)))
    if groups is not None and (not isinstance(groups, list) or not all(isinstance(g, str) and g for g in groups)):
        raise SpecError("connection %s: 'allowed_groups' must be a list of DSS group names" % name)
    if usable_by == "ALLOWED" and not groups:
        raise SpecError("connection %s: usable_by: ALLOWED with no allowed_groups would leave the connection to "
                        "no one; list the groups that may use it" % name)
    access = {"usableBy": usable_by}
    if groups is not None:
        access["allowedGroups"] = list(groups)
    return access


def archive_version(path):
    """The version in the archive's plugin.json."""
    with zipfile.ZipFile(path) as z:
        return json.loads(z.read("plugin.json"))["version"]


def provision(client, spec, out=print, environ=None):
    """Apply ``spec`` through ``client`` (a ``dataikuapi.DSSClient``); return the list of changes made."""
    changes = []
    archive = spec.get("plugin_archive")
    if archive:
        wanted = archive_version(archive)
        installed = {p.get("id"): p for p in client.list_plugins()}
        current = installed.get(PLUGIN_ID)
        current_version = _version_of(current)
        if current is None:
            with open(archive, "rb") as f:
                client.install_plugin_from_archive(f)
            changes.append("plugin %s %s: installed" % (PLUGIN_ID, wanted))
        elif current_version != wanted:
            with open(archive, "rb") as f:
                client.get_plugin(PLUGIN_ID).update_from_zip(f)
            changes.append("plugin %s: updated %s -> %s" % (PLUGIN_ID, current_version, wanted))
        else:
            out("plugin %s %s: unchanged" % (PLUGIN_ID, wanted))
        changes += ensure_code_env(client.get_plugin(PLUGIN_ID), plugin_changed=current_version != wanted,
                                   python_interpreter=spec.get("python_interpreter"), out=out)
    existing = set(client.list_connections())  # a dict keyed by connection name
    for entry in spec.get("connections") or []:
        name = entry.get("name")
        if not name:
            raise SpecError("a connection has no 'name'")
        params = resolve_env(connection_params(entry), environ)
        access = connection_access(entry)
        if name not in existing:
            client.create_connection(name, "CustomLLM", params=params, usable_by=access.get("usableBy", "ALL"),
                                     allowed_groups=access.get("allowedGroups"), description=entry.get("description"))
            changes.append("connection %s: created with %d model(s)" % (name, len(params["models"])))
            continue
        connection = client.get_connection(name)
        definition = connection.get_definition()
        wanted = copy.deepcopy(definition)
        wanted["params"] = merge_connection_params(definition.get("params"), params)
        if entry.get("description") is not None:
            wanted["description"] = entry["description"]
        for key, value in access.items():  # access control is compared and written like every other field
            current = definition.get(key)
            if key == "allowedGroups" and isinstance(current, list) and sorted(current) == sorted(value):
                continue  # the same groups in another order
            wanted[key] = value
        changed = _changed_keys(definition, wanted)
        if not changed:
            out("connection %s: unchanged" % name)
            continue
        connection.set_definition(wanted)
        changes.append("connection %s: updated (%s)" % (name, ", ".join(changed)))
    for change in changes:
        out(change)
    return changes


def ensure_code_env(plugin, plugin_changed, python_interpreter=None, out=print):
    """Give the plugin (a ``dataikuapi`` ``DSSPlugin``) a built code environment; return the changes.

    No code env yet: create one (a DSS future, waited for) and select it in the plugin's
    settings. A plugin just updated: update its code env, since the requirements may have
    changed. Otherwise only read the settings.
    """
    settings = plugin.get_settings()
    env_name = settings.get_raw().get("codeEnvName")
    if not env_name:
        result = plugin.create_code_env(python_interpreter=python_interpreter).wait_for_result() or {}
        env_name = result.get("envName")
        if not env_name:
            raise RuntimeError("DSS created no code environment for plugin %s (its answer names none); see the "
                               "plugin's code env page in DSS." % PLUGIN_ID)
        settings.set_code_env(env_name)
        settings.save()
        return ["code env %s: created" % env_name]
    if plugin_changed:
        plugin.update_code_env().wait_for_result()
        return ["code env %s: updated" % env_name]
    out("code env %s: unchanged" % env_name)
    return []


def merge_connection_params(current, owned):
    """``current`` connection params with the spec's ``owned`` ones written over them.

    We own the models the spec lists (by id) and, inside each, the keys the spec sets;
    every other param, model and setting stays as DSS has it.
    """
    merged = copy.deepcopy(current) if isinstance(current, dict) else {}
    models = [m for m in merged.get("models") or [] if isinstance(m, dict)]
    by_id = {m.get("id"): m for m in models}
    for model in owned.get("models") or []:
        if model["id"] not in by_id:
            models.append(copy.deepcopy(model))
            continue
        target = by_id[model["id"]]
        for key, value in model.items():
            if key == "customConfig" and isinstance(target.get(key), dict):
                target[key] = _overlay(target[key], value)
            else:
                target[key] = copy.deepcopy(value)
    merged["models"] = models
    for key, value in owned.items():
        if key != "models":
            merged[key] = copy.deepcopy(value)
    return merged


def _overlay(base, top):
    """``base`` with ``top``'s keys written over it, recursively for dicts."""
    result = copy.deepcopy(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(result.get(key), dict):
            result[key] = _overlay(result[key], value)
        else:
            result[key] = copy.deepcopy(value)
    return result


def is_encrypted(value):
    """Whether ``value`` is a secret as DSS returns it: encrypted (``e:AES:...``) or masked.

    Inferred from DSS's config files, which store secrets as ``e:AES:<base64>``.
    """
    return isinstance(value, str) and (value.startswith("e:AES:") or (len(value) >= 3 and set(value) == {"*"}))


def _version_of(plugin):
    if not plugin:
        return None
    return plugin.get("version") or (plugin.get("meta") or {}).get("version")


def _changed_keys(old, new, prefix=""):
    """Dotted names of what differs, never the values (they may be secrets).

    A secret DSS returned encrypted cannot be compared with the spec's clear value: it
    counts as unchanged when the spec still sets one.
    """
    if isinstance(old, dict) and isinstance(new, dict):
        keys = []
        for k in sorted(set(old) | set(new), key=str):
            if k in SECRET_KEYS and is_encrypted(old.get(k)) and new.get(k):
                continue
            keys += _changed_keys(old.get(k), new.get(k), "%s%s." % (prefix, k))
        return keys
    if isinstance(old, list) and isinstance(new, list) and len(old) == len(new):
        keys = []
        for i, (a, b) in enumerate(zip(old, new)):
            keys += _changed_keys(a, b, "%s%d." % (prefix, i))
        return keys
    return [] if old == new else [prefix.rstrip(".")]


def main(argv=None, out=print):
    p = argparse.ArgumentParser(prog="python -m spcs_llm.provision", description=__doc__.split("\n\n")[0])
    p.add_argument("spec", help="YAML or JSON description of the plugin archive and connections")
    p.add_argument("--host", default=os.environ.get("DSS_HOST"), help="DSS URL (default: $DSS_HOST)")
    p.add_argument("--api-key-env", default="DSS_API_KEY", help="environment variable holding an admin API key")
    p.add_argument("--no-verify-tls", action="store_true", help="do not verify the DSS certificate")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    if not args.host:
        raise SystemExit("Give --host or set DSS_HOST.")
    api_key = os.environ.get(args.api_key_env)
    if not api_key:
        raise SystemExit("Set %s to an admin API key of the DSS instance." % args.api_key_env)
    import dataikuapi

    client = dataikuapi.DSSClient(args.host, api_key, no_check_certificate=args.no_verify_tls)
    try:
        provision(client, load_spec(args.spec), out=out)
    except SpecError as exc:
        raise SystemExit("Spec error: %s" % exc)
    return 0


if __name__ == "__main__":
    sys.exit(main())
