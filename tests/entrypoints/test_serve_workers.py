"""``duebot serve --workers 2`` as a real process: two server processes answer on one
port, and SIGTERM stops them all with exit code 0."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
from sqlalchemy.engine import Engine

from tests.world import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_serve_with_two_workers_answers_and_stops(sqlite_engine: Engine, tmp_path: Path
                                                  ) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("DUEBOT_")}
    env.update({"PYTHONPATH": str(ROOT),
                "DUEBOT_DATABASE_URL": sqlite_engine.url.render_as_string(hide_password=False),
                "DUEBOT_PORT": str(port), "DUEBOT_CAMPAIGN_DIR": str(ROOT / "campaigns")})
    log = (tmp_path / "serve.log").open("wb")
    server = subprocess.Popen([sys.executable, "-m", "bot.entrypoints.cli", "serve",
                               "--workers", "2"], env=env, cwd=tmp_path, stdout=log,
                              stderr=subprocess.STDOUT)
    try:
        answered = 0
        deadline = time.monotonic() + 90
        while answered < 10 and time.monotonic() < deadline:
            try:
                # a new connection each time: the kernel may hand it to either process
                answered += httpx.get(f"http://127.0.0.1:{port}/healthz",
                                      timeout=5).status_code == 200
            except httpx.TransportError:
                time.sleep(0.2)
        assert answered == 10, (tmp_path / "serve.log").read_text(errors="replace")
        children = psutil.Process(server.pid).children()
        assert len(children) == 2
        listening = {c.pid for c in children
                     if any(conn.laddr.port == port for conn in c.net_connections("tcp"))}
        assert listening == {c.pid for c in children}  # both serve the shared socket
        server.send_signal(signal.SIGTERM)
        assert server.wait(60) == 0
        assert not any(c.is_running() and c.status() != psutil.STATUS_ZOMBIE
                       for c in children)
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()
