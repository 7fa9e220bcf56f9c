"""Helpers for tests that serve the catalogue over real HTTP: `catalogue serve`
(gunicorn) as a real process, or an app served from a thread of the test."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from werkzeug.serving import make_server

CATALOGUE = str(Path(sys.executable).with_name("catalogue"))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Answer:
    """One HTTP exchange as a client saw it."""

    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float = 0.0

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")

    def json(self) -> Any:
        return json.loads(self.body)


def fetch(
    url: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    body: bytes | None = None,
    timeout: float = 10,
) -> Answer:
    """One request; an HTTP error status is an answer, not an exception (a
    network failure or timeout still raises OSError)."""
    started = time.monotonic()
    req = urllib.request.Request(url, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return Answer(r.status, _lower(r.headers), r.read(), time.monotonic() - started)
    except urllib.error.HTTPError as error:
        return Answer(error.code, _lower(error.headers), error.read(), time.monotonic() - started)


def _lower(headers: Any) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items()}


@dataclass
class Server:
    """A running `catalogue serve`; ``stop()`` returns everything it wrote to stderr."""

    process: subprocess.Popen[str]
    port: int
    stderr_path: Path
    _stderr: IO[str] = field(repr=False)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def worker_pids(self) -> set[int]:
        """The gunicorn workers: the children of the master process."""
        pid = self.process.pid
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
        return {int(child) for child in children}

    def stderr(self) -> str:
        self._stderr.flush()
        return self.stderr_path.read_text(encoding="utf-8")

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._stderr.close()
        return self.stderr_path.read_text(encoding="utf-8")


def start_server(
    env: dict[str, str], folder: Path, workers: int = 2, timeout: float = 60
) -> Server:
    """Start `catalogue serve` with ``env`` on a free port and wait until /healthz answers."""
    port = free_port()
    stderr_path = folder / f"serve-{port}.log"
    stderr = stderr_path.open("w", encoding="utf-8")
    process = subprocess.Popen(
        [CATALOGUE, "serve", "--port", str(port), "--workers", str(workers)],
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        text=True,
    )
    server = Server(process, port, stderr_path, stderr)
    deadline = time.monotonic() + timeout
    while True:
        try:
            if fetch(f"{server.base}/healthz", timeout=5).status == 200:
                break
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            log = server.stop()
            raise AssertionError(f"catalogue serve did not come up:\n{log}")
        time.sleep(0.2)
    # Both workers booted (the first answer may come from one of them only).
    while len(server.worker_pids()) < workers and time.monotonic() < deadline:
        time.sleep(0.1)
    return server


@contextmanager
def serving(env: dict[str, str], folder: Path, workers: int = 2) -> Iterator[Server]:
    """``start_server`` for a with-block: stopped at the end, whatever happens."""
    server = start_server(env, folder, workers)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def served_in_thread(app: Any) -> Iterator[str]:
    """``app`` served on a free loopback port from a thread of this process (for
    unmodified HTTP clients and the browser); yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
