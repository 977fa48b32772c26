"""``python -m spcs_llm.admin.doctor`` (also ``python -m spcs_llm.doctor``)."""

import sys

from .cli import main

sys.exit(main())
