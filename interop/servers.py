"""Start and stop the third-party servers of `make interop`, each on 127.0.0.1 and a free port.

A server is a command line run in its own process group, so that stopping it by its PID
also stops the workers it forks (gunicorn). Readiness is a GET on a health path that must
answer 200 within a timeout; if the process dies first, the error shows its log's tail.
"""

import os
import signal
import socket
import subprocess
import time

import requests

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, ".interop")
OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1",
           "DO_NOT_TRACK": "1", "INFINITY_ANONYMOUS_USAGE_STATS": "0", "TOKENIZERS_PARALLELISM": "false"}


def free_port():
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def env_python(env, *parts):
    """The path of a program in one of the interop virtual environments."""
    return os.path.join(WORK, env, "bin", *parts)


class Server:
    """One server process: ``argv`` may hold ``{port}``; ``health`` is the readiness path."""

    def __init__(self, name, argv, health, cwd=None, env=None, ready_timeout=180.0):
        self.name = name
        self.port = free_port()
        self.argv = [a.format(port=self.port) for a in argv]
        self.health = health
        self.cwd = cwd
        self.env = dict(os.environ, **OFFLINE)
        self.env.update(env or {})
        self.ready_timeout = ready_timeout
        self.log_path = os.path.join(WORK, "logs", name + ".log")
        self.process = None
        self.started_in = None

    @property
    def url(self):
        return "http://127.0.0.1:%d" % self.port

    def start(self):
        """Start the process and wait until its health path answers 200."""
        os.makedirs(os.path.dirname(self.log_path), exist_ok=True)
        log = open(self.log_path, "wb")
        t0 = time.monotonic()
        self.process = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env, stdout=log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        deadline = t0 + self.ready_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("%s exited with code %s before it was ready:\n%s"
                                   % (self.name, self.process.returncode, self.log_tail()))
            try:
                if requests.get(self.url + self.health, timeout=2).status_code == 200:
                    self.started_in = time.monotonic() - t0
                    return self
            except requests.RequestException:
                pass
            time.sleep(0.5)
        self.stop()
        raise RuntimeError("%s was not ready within %.0f s:\n%s" % (self.name, self.ready_timeout, self.log_tail()))

    def stop(self):
        """Stop the process group started by ``start`` (TERM, then KILL after 10 s)."""
        if self.process is None or self.process.poll() is not None:
            return
        pgid = self.process.pid  # start_new_session: the group id is the process id
        try:
            os.killpg(pgid, signal.SIGTERM)
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(pgid, signal.SIGKILL)
            self.process.wait(timeout=10)
        except ProcessLookupError:
            pass

    def log_tail(self, lines=25):
        try:
            with open(self.log_path, "rb") as f:
                return b"".join(f.readlines()[-lines:]).decode("utf-8", "replace")
        except OSError:
            return "(no log)"

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
