"""The base every capability's client shares: settings, protocol, transport, costs, async.

One ``ModelClient`` subclass per capability (``chat.ChatClient``,
``embedding.EmbeddingClient``, ``reranking.RerankingClient``), each used by one thin class
of ``llm.py``. The base owns what they have in common, like openai-python's base client:
the wire format of the mode, the HTTP transport (auth, retries, timeouts), the cost
accountant, trace spans, and the executor that runs DSS's async calls.
"""

import asyncio
import functools
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

from .costs import Bill, CostAccountant
from .errors import ConfigError
from .modes import modes_for
from .protocols import for_settings
from .transport import Transport

END = object()  # the end of a blocking iterator, for next(items, END)


class ModelClient:
    """What a model of any capability needs; subclasses set ``capability``."""

    capability = None  # "chat", "embedding" or "reranking" (modes.CAPABILITIES)

    def __init__(self, settings, transport=None):
        self.settings = settings
        self.protocol = for_settings(settings)
        if not self.protocol.serves(self.capability):
            raise ConfigError("modelHandlingMode", "%s cannot serve %s models. For %s models, pick one of: %s." % (
                settings.mode, self.capability, self.capability, ", ".join(modes_for(self.capability))))
        self.transport = transport or Transport(settings)
        self.costs = CostAccountant(settings.costs)
        self._executor = None
        self._executor_lock = threading.Lock()

    @property
    def max_parallelism(self):
        """Calls this model serves at once (``maxParallelism``)."""
        return self.settings.transport.max_parallelism

    def bill(self):
        """A cost ``Bill`` for a call starting now (use as a context manager)."""
        return Bill(self.costs)

    @contextmanager
    def span(self, trace, name, path=None, **extra):
        """A trace subspan with the model's attributes (no-op without a trace)."""
        if trace is None or not hasattr(trace, "subspan"):
            yield None
            return
        attrs = {"spcs.mode": self.settings.mode, "spcs.endpoint": self.settings.endpoint_url,
                 "spcs.auth": self.settings.auth_mode}
        if path:
            attrs["spcs.path"] = path
        attrs.update(("spcs." + k, v) for k, v in extra.items())
        with trace.subspan(name) as span:
            span.attributes.update(attrs)
            yield span

    # -- async: DSS's aprocess / aprocess_stream ---------------------------------------

    @property
    def executor(self):
        """Threads for async calls, as many as ``maxParallelism``.

        asyncio's default pool has min(32, CPUs + 4) threads: on a 2-CPU DSS host, 60
        concurrent ``aprocess`` calls would run 6 at a time whatever the admin set.
        """
        with self._executor_lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(self.max_parallelism, thread_name_prefix="spcs-async")
            return self._executor

    async def run_async(self, fn, *args):
        """``fn(*args)`` on the model's executor."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self.executor, functools.partial(fn, *args))

    async def iterate_async(self, items):
        """Yield from the blocking iterator ``items``, each step on the model's executor.

        A consumer that stops early (or is cancelled) closes ``items`` here, so its HTTP
        stream, bill and span are settled at once, not when the generator is collected.
        """
        try:
            while True:
                item = await self.run_async(next, items, END)
                if item is END:
                    return
                yield item
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                await self.run_async(close)

    def close(self):
        """Release connections and threads."""
        if self._executor is not None:
            self._executor.shutdown(wait=False)
        self.transport.close()
