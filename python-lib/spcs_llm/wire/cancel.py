"""Interrupting a blocking HTTP exchange from another thread, when the async call waiting for it is cancelled.

DSS's ``aprocess_stream`` runs each blocking step of a stream (``next`` on its generator)
on a worker thread (``client.ModelClient.iterate_async``). When the task awaiting a step
is cancelled (``asyncio.wait_for``'s timeout, ``task.cancel()``, DSS stopping a run), the
thread goes on waiting for the server; the generator cannot be closed while it runs
(``ValueError: generator already executing``), and the HTTP stream would stay open.

An ``AbortScope`` is what one async stream can be interrupted through. Its steps run with
the scope current (``AbortScope.run``); code about to block on a socket registers how to
interrupt it (``on_abort(lambda: shut(sock))``); ``abort()`` (from the event loop's
thread) runs those actions, so the blocked read returns at once, and every later exchange
of the scope stops before it starts (``Aborted``). Without a scope (every blocking call),
``on_abort`` and ``sleep`` do what they would do anyway.

>>> scope = AbortScope()
>>> item = scope.run(next, items, None)   # on a worker thread; scope.abort() from another one
"""

import contextvars
import logging
import socket
import threading
import time
from contextlib import contextmanager

logger = logging.getLogger(__name__)

_current = contextvars.ContextVar("spcs_llm_abort_scope", default=None)


class Aborted(Exception):
    """The async call this exchange belonged to was cancelled; nothing is retried or sent after it."""


class AbortScope:
    """The interruptions registered by one async stream's blocking steps (thread-safe)."""

    def __init__(self):
        self._lock = threading.Lock()
        self._actions = {}
        self._next_key = 0
        self._aborted = threading.Event()

    @property
    def aborted(self):
        """True once ``abort()`` was called."""
        return self._aborted.is_set()

    def run(self, fn, *args):
        """``fn(*args)`` in the calling thread with this scope current."""
        token = _current.set(self)
        try:
            return fn(*args)
        finally:
            _current.reset(token)

    def abort(self):
        """Interrupt what the scope's steps block on now, and refuse what they would start next."""
        with self._lock:
            self._aborted.set()
            actions, self._actions = list(self._actions.values()), {}
        for action in actions:
            _run(action)

    def _add(self, action):
        with self._lock:
            if not self._aborted.is_set():
                key = self._next_key
                self._next_key += 1
                self._actions[key] = action
                return key
        raise Aborted("the call was cancelled")

    def _discard(self, key):
        with self._lock:
            self._actions.pop(key, None)

    def _sleep(self, seconds):
        if self._aborted.wait(seconds):
            raise Aborted("the call was cancelled")


@contextmanager
def on_abort(action):
    """While the block runs, ``abort()`` of the current scope calls ``action`` (e.g. shuts a socket).

    Raises ``Aborted`` at once if the current scope was aborted already; without a current
    scope, does nothing.
    """
    scope = _current.get()
    if scope is None:
        yield
        return
    key = scope._add(action)
    try:
        yield
    finally:
        scope._discard(key)


def aborted():
    """True if the current scope (if any) was aborted."""
    scope = _current.get()
    return scope is not None and scope.aborted


def sleep(seconds):
    """``time.sleep``, cut short by ``Aborted`` when the current scope is aborted (retry waits use it)."""
    scope = _current.get()
    if scope is None:
        time.sleep(seconds)
    else:
        scope._sleep(seconds)


def shut(sock):
    """Shut ``sock`` down in both directions, so a read blocked on it in another thread returns at once.

    The plain socket's ``shutdown`` is called (under TLS too): it only wakes the reader, and
    the connection it belongs to is dropped, never reused.
    """
    if isinstance(sock, socket.socket):
        try:
            socket.socket.shutdown(sock, socket.SHUT_RDWR)
        except OSError:
            pass  # already closed


def _run(action):
    try:
        action()
    except Exception as exc:  # an interruption that fails must not hide the cancellation
        logger.debug("Interrupting a cancelled call's exchange failed: %s", type(exc).__name__)
