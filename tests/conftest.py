import logging

import pytest

from dss import generate_keypair  # also puts devtools, python-lib, standin and the dataiku stub on sys.path
from standin_env import Env


@pytest.fixture(scope="session")
def keypair():
    return generate_keypair()


@pytest.fixture
def env(keypair):
    """A fresh stand-in per test, so faults and counters never leak between tests."""
    environment = Env(keypair)
    try:
        yield environment
    finally:
        environment.stop()


@pytest.fixture(autouse=True)
def _debug_logging(caplog):
    caplog.set_level(logging.DEBUG)
