"""The tests drive MyLLM through the shared DSS harness."""

import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "devtools"))

from dss_harness import *  # noqa: E402,F401,F403
from dss_harness import (MyLLM, ask, defaults, descriptor, generate_keypair, make_llm, new_query,  # noqa: E402,F401
                         new_trace)
