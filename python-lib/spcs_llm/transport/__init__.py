"""The request path: one authenticated HTTP exchange with an SPCS ingress, retried within its deadline.

``exchange`` (``Transport``: send, refresh and replay once, retry, stream SSE), ``pool``
(keep-alive connections sized to the model's parallelism), ``status`` (error statuses to
our exceptions, size refusals, login pages), ``retry_policy`` (waits, ``Retry-After``,
the budget).

May import: ``auth``, ``snowflake`` (auto-resume), ``wire``, ``errors``. Imported by:
``client`` and the admin tools; never by ``protocols`` or ``auth``.
"""

from .exchange import Transport  # noqa: F401
