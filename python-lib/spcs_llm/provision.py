"""``python -m spcs_llm.provision``: kept as the provisioning command's name; it lives in ``admin.provision``."""

import sys

from .admin.provision import main

if __name__ == "__main__":
    sys.exit(main())
