"""5,000 mixed calls at parallelism 32 with 5% transient faults: nothing lost, nothing wrong."""

import logging

from dss import new_trace  # noqa: F401  (sets up the paths)
from load_run import run_load


def test_load_with_faults(caplog):
    # pytest keeps every captured record in memory: at DEBUG that alone would look like a leak.
    caplog.set_level(logging.WARNING)
    f = run_load(calls=5000, parallelism=32, fault_rate=0.05)
    assert f["errors"] == [] and f["wrong"] == []
    assert f["answered"] == f["correct"] == 5000
    assert f["faults_injected"] > 100  # the faults really happened...
    assert f["requests"] == 5000 + f["faults_injected"]  # ...and each cost exactly one extra request
    assert f["oauth_logins"] == 1 and f["jwt_exchanges"] == 1  # once per token lifetime, not per call
    assert f["max_in_flight"] > 1
    # Memory flat: what is held after the run is within 2 MiB of what was held after the warm-up.
    assert f["memory_at_end_kib"] - f["memory_after_warmup_kib"] < 2048, f
