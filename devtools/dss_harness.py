"""Drive MyLLM the way DSS does: descriptor defaults, presets as dicts, python-lib on the path.

Shared by the tests, the demo and the benchmark. Only ``dataiku.llm.python.BaseLLM`` is a
stand-in (``devtools/stubs``); messages and traces come from the real ``dataikuapi``.
"""

import importlib.util
import json
import os
import sys

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
COMPONENT = os.path.join(ROOT, "python-llms", "snowpark-container-services-llm")

for path in (os.path.join(ROOT, "python-lib"), os.path.join(ROOT, "standin"), os.path.join(ROOT, "devtools", "stubs")):
    if path not in sys.path:
        sys.path.insert(0, path)

from dataikuapi.dss.llm import DSSLLMCompletionQuery  # noqa: E402
from dataikuapi.dss.llm_tracing import SpanBuilder  # noqa: E402


def descriptor():
    with open(os.path.join(COMPONENT, "llm.json")) as f:
        return json.load(f)


def defaults():
    """What DSS stores for a new model: each param's defaultValue."""
    return {p["name"]: p["defaultValue"] for p in descriptor()["params"] if "defaultValue" in p}


def _load_class():
    spec = importlib.util.spec_from_file_location("dss_custom_llm_component", os.path.join(COMPONENT, "llm.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.MyLLM


MyLLM = _load_class()


def make_llm(config, with_defaults=True):
    """A configured MyLLM, as DSS instantiates it."""
    full = defaults() if with_defaults else {}
    full.update(config)
    llm = MyLLM()
    llm.set_config(full, {})
    return llm


def new_query():
    """A real dataikuapi completion query builder (no DSS needed to build messages)."""
    return DSSLLMCompletionQuery(None)


def new_trace(name="test"):
    return SpanBuilder(name)


def ask(llm, text="hello there", settings=None):
    """One single-turn completion through ``MyLLM.process``, as a Prompt Studio call makes."""
    q = new_query()
    q.with_message(text)
    return llm.process(q.cq, settings or {}, new_trace())


def generate_keypair(passphrase=None):
    """(private PEM, public PEM) of a fresh RSA key."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    encryption = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
                  else serialization.NoEncryption())
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                          serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public
