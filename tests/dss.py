"""The tests drive our models through the shared DSS harness (by capability and base class)."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "devtools"))

from dss_harness import (ROOT, ask, defaults, descriptor, embed, generate_keypair, load_component,  # noqa: E402,F401
                         make_llm, make_model, model_class, new_query, new_reranking_query, new_trace)
