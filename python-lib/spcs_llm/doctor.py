"""``python -m spcs_llm.doctor``: kept as the doctor's command name; the doctor lives in ``admin.doctor``."""

import sys

from .admin.doctor import main

if __name__ == "__main__":
    sys.exit(main())
