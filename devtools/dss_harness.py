"""Drive our models the way DSS does: by capability and base class, from the descriptor's defaults.

Shared by the tests, the demo, the benchmark, the reliability run and the doctor's
stand-in mode. DSS loads ``llm.py``, finds the class deriving from the base class of the
capability the admin picked (not a class name), instantiates it, calls
``set_config(config, plugin_config)`` with the ``llm.json`` defaults plus the admin's
values, then only the documented methods (``process``, ``process_stream``, ``aprocess``,
``aprocess_stream``). Only ``dataiku.llm.python`` is a stand-in (``devtools/stubs``);
queries and traces come from the real ``dataikuapi``.
"""

import importlib.util
import inspect
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

import dataiku.llm.python as dss_llm  # noqa: E402
from dataikuapi.dss.llm import DSSLLMCompletionQuery, DSSLLMRerankingQuery  # noqa: E402
from dataikuapi.dss.llm_tracing import SpanBuilder  # noqa: E402

# The capability the admin picks when adding a model -> the base class DSS looks for.
BASES = {
    "chat": dss_llm.BaseLLM,
    "embedding": dss_llm.BaseEmbeddingModel,
    "reranking": dss_llm.BaseRerankingModel,
}


def descriptor():
    with open(os.path.join(COMPONENT, "llm.json")) as f:
        return json.load(f)


def defaults():
    """What DSS stores for a new model: each param's defaultValue."""
    return {p["name"]: p["defaultValue"] for p in descriptor()["params"] if "defaultValue" in p}


def load_component(path=None):
    """``llm.py`` loaded as DSS loads it: a fresh module, python-lib on the path."""
    spec = importlib.util.spec_from_file_location("dss_custom_llm_component", path or os.path.join(COMPONENT, "llm.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def model_class(capability, module=None):
    """The one class of ``llm.py`` deriving from the base class of ``capability``."""
    base = BASES[capability]
    module = module or _COMPONENT
    found = [c for _, c in inspect.getmembers(module, inspect.isclass)
             if issubclass(c, base) and c is not base and c.__module__ == module.__name__]
    if len(found) != 1:
        raise LookupError("llm.py must hold exactly one subclass of %s for %s models, found %d"
                          % (base.__name__, capability, len(found)))
    return found[0]


_COMPONENT = load_component()


def make_model(capability, config, with_defaults=True, plugin_config=None):
    """A configured model of ``capability`` ("chat", "embedding", "reranking"), as DSS instantiates it."""
    full = defaults() if with_defaults else {}
    full.update(config)
    model = model_class(capability)()
    model.set_config(full, plugin_config or {})
    return model


def make_llm(config, with_defaults=True):
    """A configured chat model."""
    return make_model("chat", config, with_defaults)


def embed(model, texts):
    """``process`` of an embedding model on one text (str) or a list of texts, as the Embed recipe calls it."""
    if isinstance(texts, str):
        return model.process({"text": texts}, {}, new_trace())
    return model.process({"queries": [{"text": t} for t in texts]}, {}, new_trace())


def new_query():
    """A real dataikuapi completion query builder (no DSS needed to build messages)."""
    return DSSLLMCompletionQuery(None)


def new_reranking_query(query, documents):
    """The query dict DSS hands a reranking model, built with the real dataikuapi builder."""
    rq = DSSLLMRerankingQuery(None).with_query(query)
    for d in documents:
        rq.with_document(d)
    return rq.rq


def new_trace(name="test"):
    return SpanBuilder(name)


def ask(llm, text="hello there", settings=None):
    """One single-turn completion through ``process``, as a Prompt Studio call makes."""
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
