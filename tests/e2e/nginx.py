"""nginx run from docs/deploy/nginx.conf, on 127.0.0.1, in a directory of its own, stopped by PID.

The shipped file is used as it is but for its ports, paths and worker user, each replaced
where the file has it (and a missing one is an error, so the docs cannot drift from the test).
nginx runs in the foreground (``daemon off``) as a child of the test.
"""

from __future__ import annotations

import grp
import os
import pwd
import signal
import subprocess
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from tests.tools import find

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "docs" / "deploy" / "nginx.conf"
NGINX = find("nginx")
SHIPPED_USER = "www-data"
START_TIMEOUT = 30.0


def worker_user() -> str | None:
    """``user [group]`` for nginx's workers: the shipped user when we are root and it exists.

    Else ``nobody`` and its own group (``nogroup`` on Debian, ``nobody`` elsewhere). Not root,
    the master cannot switch users and nginx ignores the directive: the workers are us.
    """
    if os.geteuid() != 0:
        return None
    try:
        account = pwd.getpwnam(SHIPPED_USER)
    except KeyError:
        account = pwd.getpwnam("nobody")
    return f"{account.pw_name} {grp.getgrgid(account.pw_gid).gr_name}"


def readable_dir(path: Path) -> Path:
    """Make ``path`` (and nothing above it) a directory the workers may enter and read."""
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o755)
    return path


def configuration(
    *,
    port: int,
    upstreams: Sequence[int],
    media_root: Path,
    prefix: Path,
    max_upload: str = "20g",
    extra_locations: str = "",
) -> str:
    """The shipped configuration with this run's ports, paths and user."""
    text = SHIPPED.read_text()
    servers = "".join(f"        server 127.0.0.1:{p};\n" for p in upstreams)
    user = worker_user()
    replacements = [
        ("user www-data;", f"user {user};" if user else "# user: not root, the workers are us"),
        ("pid /run/nginx.pid;", f"pid {prefix / 'nginx.pid'};"),
        ("/var/log/nginx/", f"{prefix / 'logs'}/"),
        ("/var/lib/nginx/", f"{prefix / 'tmp'}/"),
        (
            "        server 127.0.0.1:8001;  # ADAPT\n        server 127.0.0.1:8002;  # ADAPT\n",
            servers,
        ),
        ("listen 80;", f"listen 127.0.0.1:{port};"),
        ("alias /srv/streamcore/media/;", f"alias {media_root.resolve()}/;"),
        ("client_max_body_size 20g;", f"client_max_body_size {max_upload};"),
    ]
    for old, new in replacements:
        if old not in text:
            raise AssertionError(f"{SHIPPED} no longer has {old!r}: update tests/e2e/nginx.py")
        text = text.replace(old, new)
    if extra_locations:  # benchmarks only: a plain location beside the shipped ones
        head, tail = text.rsplit("    }\n}", 1)
        text = f"{head}{extra_locations}    }}\n}}{tail}"
    return text


@dataclass
class Nginx:
    """A running nginx: its URL, its process and its directory (logs in ``logs/``)."""

    url: str
    process: subprocess.Popen[bytes]
    prefix: Path

    def access_log(self) -> str:
        """What the access log holds so far."""
        return (self.prefix / "logs" / "streamcore-access.log").read_text(errors="replace")

    def error_log(self) -> str:
        """What the error log holds so far."""
        return (self.prefix / "logs" / "error.log").read_text(errors="replace")

    def stop(self) -> None:
        """SIGQUIT (graceful) by PID, then SIGKILL if it lingers; never by name."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGQUIT)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def start_nginx(prefix: Path, config: str, port: int) -> Nginx:
    """Write ``config`` under ``prefix`` and run nginx on it; return once it answers."""
    if NGINX is None:
        raise RuntimeError("nginx is not installed")
    readable_dir(prefix)
    for sub in ("logs", "tmp"):
        readable_dir(prefix / sub)
    conf = prefix / "nginx.conf"
    conf.write_text(config)
    check = subprocess.run(
        [NGINX, "-t", "-p", str(prefix), "-c", str(conf)], capture_output=True, text=True
    )
    if check.returncode != 0:
        raise RuntimeError(f"nginx -t refused the configuration:\n{check.stderr}")
    output = (prefix / "logs" / "stderr.log").open("wb")
    process = subprocess.Popen(
        [NGINX, "-p", str(prefix), "-c", str(conf), "-g", "daemon off;"],
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    output.close()
    server = Nginx(f"http://127.0.0.1:{port}", process, prefix)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited {process.returncode}:\n{server.error_log()}")
        try:
            httpx.get(f"{server.url}/_media/", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.05)
    server.stop()
    raise RuntimeError(f"nginx did not answer in {START_TIMEOUT} s")
