"""``python -m spcs_llm.doctor``: kept as the doctor's command name; the doctor lives in ``admin.doctor``.

The doctor runs with the plugin's library, so it needs the plugin's requirements. Outside
DSS, in a Python without them, it says which command installs them instead of ending on a
``ModuleNotFoundError`` traceback.
"""

import sys

INSTALL_HINT = ("The doctor needs the plugin's requirements, and this Python lacks %r. Install them in a virtual "
                "environment, then run the doctor with that environment's python:\n"
                "    python3 -m venv doctor-env\n"
                "    doctor-env/bin/pip install -r code-env/python/spec/requirements.txt\n"
                "    PYTHONPATH=python-lib doctor-env/bin/python -m spcs_llm.doctor --endpoint <ingress host> ...\n"
                "(from a source checkout, `make doctor ARGS=\"...\"` uses the project's .venv).\n")

try:
    from .admin.doctor import main
except ModuleNotFoundError as exc:  # a requirement of the plugin, not a module of ours
    if __name__ != "__main__" or (exc.name or "").startswith("spcs_llm"):
        raise
    sys.stderr.write(INSTALL_HINT % exc.name)
    sys.exit(2)

if __name__ == "__main__":
    sys.exit(main())
