"""A local stand-in for Snowflake auth and SPCS ingress, for tests, the demo and the doctor.

It imports nothing from the plugin: it follows PLATFORM.md, not the plugin's code.
"""

from .account import Account, AccountConfig  # noqa: F401
from .embedders import deterministic_vector  # noqa: F401
from .faults import Faults  # noqa: F401
from .server import StandIn, http_date  # noqa: F401
from .services import Service, Timing  # noqa: F401
