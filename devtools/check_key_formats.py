"""Which key forms the installed ``cryptography`` loads once ``rebuild_pem`` has repaired them.

    python devtools/check_key_formats.py        # needs the openssl command line tool

Generates, with the openssl CLI, the private keys an admin may paste (PKCS#8 plain and
encrypted the ways Snowflake's key-pair guide and OpenSSL 3 do it, PKCS#1 plain and
encrypted), joins each key's lines with spaces as DSS may, and loads it. Run it in a
virtualenv holding the ``cryptography`` floor of code-env/python/spec/requirements.txt to
check that the floor still parses what we accept. Exit status 1 if any form fails.
"""

import os
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "python-lib", "spcs_llm", "auth"))
from pem import rebuild_pem  # noqa: E402  (the module alone: no third-party imports)

PASSPHRASE = "secret-passphrase"
# name -> openssl arguments turning the plain PKCS#1 key "base.pem" into that form, encrypted?
FORMS = {
    "pkcs8": (["pkcs8", "-topk8", "-nocrypt"], False),
    "pkcs8-des3 (Snowflake's guide)": (["pkcs8", "-topk8", "-v2", "des3"], True),
    "pkcs8-aes256": (["pkcs8", "-topk8", "-v2", "aes-256-cbc"], True),
    "pkcs8-openssl-default": (["pkcs8", "-topk8"], True),
    "pkcs1": (["rsa", "-traditional"], False),
    "pkcs1-aes256": (["rsa", "-traditional", "-aes256"], True),
    "pkcs1-des3": (["rsa", "-traditional", "-des3"], True),
}


def main():
    import cryptography
    from cryptography.hazmat.backends import default_backend
    from cryptography.hazmat.primitives import serialization

    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        base = os.path.join(tmp, "base.pem")
        subprocess.run(["openssl", "genrsa", "-out", base, "2048"], check=True, capture_output=True)
        for name, (args, encrypted) in FORMS.items():
            target = os.path.join(tmp, "key.pem")
            extra = ["-passout", "pass:" + PASSPHRASE] if encrypted else []
            subprocess.run(["openssl"] + args + ["-in", base, "-out", target] + extra, check=True, capture_output=True)
            with open(target, encoding="ascii") as f:
                space_joined = f.read().strip().replace("\n", " ")
            try:
                serialization.load_pem_private_key(rebuild_pem(space_joined).encode("ascii"),
                                                   password=PASSPHRASE.encode() if encrypted else None,
                                                   backend=default_backend())
                outcome = "ok"
            except Exception as exc:  # report every form, not only the first failure
                failed += 1
                outcome = "FAILED (%s)" % type(exc).__name__
            print("cryptography %s  %-32s %s" % (cryptography.__version__, name, outcome))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
