"""5,000 mixed calls at parallelism 32 with 5% transient faults: nothing lost, nothing wrong.

The run happens in its own interpreter, so that memory is measured for the plugin and the
harness alone, not for pytest's captures of the rest of the suite.
"""

import json
import os
import subprocess
import sys

from dss import ROOT


def test_load_with_faults():
    out = subprocess.run([sys.executable, os.path.join(ROOT, "devtools", "load_run.py"), "5000"],
                         capture_output=True, text=True, check=True).stdout
    f = json.loads(out.strip().splitlines()[-1])
    assert f["errors"] == [] and f["wrong"] == []
    assert f["answered"] == f["correct"] == 5000
    assert f["faults_injected"] > 100  # the faults really happened...
    # ...and each cost one extra request at most (single-text embedding calls may share requests)
    assert f["requests"] <= 5000 + f["faults_injected"]
    assert f["oauth_logins"] == 1 and f["jwt_exchanges"] == 1  # once per token lifetime, not per call
    assert f["max_in_flight"] > 1
    # Memory flat: what is held after the run is within 2 MiB of what was held after the warm-up.
    assert f["memory_at_end_kib"] - f["memory_after_warmup_kib"] < 2048, f
