"""Streaming a 1 GiB file over loopback: ``streamcore serve`` against a bare ``FileResponse``.

    .venv/bin/python benchmarks/bench_streaming.py [--size-mib 1024] [--runs 5] [--sparse]
        [--client curl|httpx] [--json]

One run makes a temporary directory with a ``--size-mib`` file of random bytes (``--sparse``:
a hole, read from no disk), a SQLite database holding an editor and a movie whose media is that
file, and starts two servers as subprocesses, each one uvicorn worker with the options
``streamcore serve`` uses: ``streamcore serve`` itself (the stream route: bearer token,
entitlement, ``MediaResponse``) and ``streaming_peer.py`` (Starlette's ``FileResponse`` as it
comes, no authentication). Then ``--runs`` whole-file downloads from each, interleaved and
alternating which goes first, by ``curl -o /dev/null`` (or, without curl, httpx reading 1 MiB at
a time), each checked to deliver every byte. It reports MB/s (10^6 bytes per second; median, min,
max) for each, their ratio, each server's CPU seconds per GiB, and the streamcore server's RSS
before the first download (warm-up included) and after the last, and its peak (which includes
the 64 MiB that argon2id takes at login). Servers are stopped by PID.

Targets (issue 8, item 10): >= 300 MB/s, >= 1.4x the peer, RSS growth < 20 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from support import cpu_seconds, free_port, git_commit, load_average, stop, wait_until_up

from streamcore import StreamCore
from streamcore.auth.models import UserCreate
from streamcore.auth.permissions import SYSTEM, Role
from streamcore.config import Settings
from streamcore.movies.models import MovieCreate

HERE = Path(__file__).resolve().parent
STREAMCORE = str(Path(sys.executable).with_name("streamcore"))
PASSWORD = "benchmark password 1"
MIB = 1024 * 1024
PAGE = os.sysconf("SC_PAGE_SIZE")


@dataclass
class Server:
    """A server process under test: its name, URL of the file, headers, PID."""

    name: str
    url: str
    headers: dict[str, str]
    process: subprocess.Popen[bytes]

    def rss_mb(self) -> tuple[float, float]:
        """(resident now, peak resident) in MB, from /proc/PID/status."""
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        values = {
            line.split(":")[0]: int(line.split()[1]) for line in status.splitlines() if "kB" in line
        }
        return values["VmRSS"] / 1000, values["VmHWM"] / 1000

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far."""
        return cpu_seconds(self.process.pid)


def make_file(path: Path, size: int, *, sparse: bool) -> None:
    with path.open("wb") as file:
        if sparse:
            file.truncate(size)
            return
        rng = random.Random(1)
        for _ in range(0, size, 16 * MIB):
            file.write(rng.randbytes(min(16 * MIB, size - file.tell())))


def start(name: str, argv: list[str], env: Mapping[str, str], cwd: Path, log: Path) -> Any:
    with log.open("wb") as out:
        return subprocess.Popen(argv, cwd=cwd, env=dict(env), stdout=out, stderr=subprocess.STDOUT)


@contextmanager
def servers(workdir: Path, media: Path) -> Iterator[list[Server]]:
    """streamcore serve and the peer, both up; stopped by PID afterwards."""
    environ = {k: v for k, v in os.environ.items() if not k.startswith("STREAMCORE_")}
    sc_port, peer_port = free_port(), free_port()
    sc_env = {
        **environ,
        "STREAMCORE_DATABASE_URL": f"sqlite:///{workdir / 'bench.db'}",
        "STREAMCORE_MEDIA_ROOT": str(media.parent),
    }
    sc_argv = [STREAMCORE, "serve", "--host", "127.0.0.1", "--port", str(sc_port)]
    # The options streamcore serve passes to uvicorn.run: factory, host, port, one worker.
    peer_code = (
        "import uvicorn; uvicorn.run('streaming_peer:app_from_env', factory=True, "
        f"host='127.0.0.1', port={peer_port}, workers=1)"
    )
    peer_env = {**environ, "PEER_FILE": str(media), "PYTHONPATH": str(HERE)}
    started: list[subprocess.Popen[bytes]] = []
    try:
        sc = start("streamcore", sc_argv, sc_env, workdir, workdir / "streamcore.log")
        started.append(sc)
        peer = start(
            "peer", [sys.executable, "-c", peer_code], peer_env, workdir, workdir / "peer.log"
        )
        started.append(peer)
        sc_url, peer_url = f"http://127.0.0.1:{sc_port}", f"http://127.0.0.1:{peer_port}"
        wait_until_up(sc, f"{sc_url}/api/health", workdir / "streamcore.log")
        wait_until_up(peer, f"{peer_url}/file", workdir / "peer.log")
        login = httpx.post(
            f"{sc_url}/api/auth/login", json={"email": "ed@example.com", "password": PASSWORD}
        )
        login.raise_for_status()
        token = login.json()["access_token"]
        yield [
            Server("streamcore", f"{sc_url}/api/movie/1/stream", _bearer(token), sc),
            Server("FileResponse", f"{peer_url}/file", {}, peer),
        ]
    finally:
        for process in started:
            stop(process)


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def download(server: Server, size: int, client: str, workdir: Path) -> float:
    """One whole-file download; seconds taken. Every byte must arrive."""
    if client == "curl":
        header_file = workdir / "headers.txt"  # the token stays out of the process list
        header_file.write_text("".join(f"{k}: {v}\n" for k, v in server.headers.items()))
        args = ["curl", "-sS", "-f", "-o", "/dev/null", "-H", f"@{header_file}"]
        args += ["-w", "%{size_download} %{time_total}", server.url]
        got, seconds = subprocess.run(
            args, capture_output=True, text=True, check=True
        ).stdout.split()
        if int(got) != size:
            raise RuntimeError(f"{server.name}: {got} bytes of {size}")
        return float(seconds)
    received = 0
    began = time.perf_counter()
    with httpx.stream("GET", server.url, headers=server.headers, timeout=60) as answer:
        answer.raise_for_status()
        for chunk in answer.iter_raw(MIB):
            received += len(chunk)
    if received != size:
        raise RuntimeError(f"{server.name}: {received} bytes of {size}")
    return time.perf_counter() - began


def prepare(workdir: Path, size: int, *, sparse: bool) -> Path:
    media = workdir / "media" / "big.mp4"
    media.parent.mkdir()
    make_file(media, size, sparse=sparse)
    settings = Settings(database_url=f"sqlite:///{workdir / 'bench.db'}")
    with StreamCore.open(settings) as core:
        core.auth.create_user(
            UserCreate(email="ed@example.com", password=PASSWORD, name="Ed", role=Role.EDITOR),
            actor=SYSTEM,
        )
        core.movies.create(MovieCreate(title="Big", year=2020, media_path="big.mp4"), actor=SYSTEM)
    return media


def run(args: argparse.Namespace) -> dict[str, Any]:
    size = args.size_mib * MIB
    client = args.client or ("curl" if shutil.which("curl") else "httpx")
    with tempfile.TemporaryDirectory(prefix="bench-streaming-") as tmp:
        workdir = Path(tmp)
        media = prepare(workdir, size, sparse=args.sparse)
        with servers(workdir, media) as both:
            sc = both[0]
            rss_before, _ = sc.rss_mb()  # up and logged in, nothing streamed yet
            for server in both:  # warm: the page cache, the token lookup, the code paths
                download(server, size, client, workdir)
            rss_warm, _ = sc.rss_mb()
            cpu_before = {s.name: s.cpu_seconds() for s in both}
            seconds: dict[str, list[float]] = {s.name: [] for s in both}
            for i in range(args.runs):
                for server in both if i % 2 == 0 else both[::-1]:
                    seconds[server.name].append(download(server, size, client, workdir))
            rss_after, rss_peak = sc.rss_mb()
            cpu = {s.name: s.cpu_seconds() - cpu_before[s.name] for s in both}
    gib = size / 1024**3 * args.runs
    rates = {name: [size / s / 1e6 for s in values] for name, values in seconds.items()}
    summary = {
        name: {
            "median_mb_s": round(statistics.median(r), 1),
            "min_mb_s": round(min(r), 1),
            "max_mb_s": round(max(r), 1),
            "cpu_s_per_gib": round(cpu[name] / gib, 2),
        }
        for name, r in rates.items()
    }
    ratio = summary["streamcore"]["median_mb_s"] / summary["FileResponse"]["median_mb_s"]
    return {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_before": load_average(),
        },
        "commit": git_commit(),
        "size_bytes": size,
        "sparse": args.sparse,
        "runs": args.runs,
        "client": client,
        "results": summary,
        "ratio": round(ratio, 2),
        "rss_mb": {
            "before": round(rss_before, 1),
            "after_warm_up": round(rss_warm, 1),
            "after": round(rss_after, 1),
            "growth": round(rss_after - rss_before, 1),
            "peak": round(rss_peak, 1),
        },
        "targets_met": {
            "mb_s_300": summary["streamcore"]["median_mb_s"] >= 300,
            "ratio_1_4": ratio >= 1.4,
            "rss_growth_under_20_mb": rss_after - rss_before < 20,
        },
    }


def render(out: dict[str, Any]) -> str:
    lines = [
        f"{out['size_bytes'] // MIB} MiB {'sparse' if out['sparse'] else 'random'} file, "
        f"{out['runs']} interleaved downloads each by {out['client']}, commit {out['commit']}, "
        f"load {out['machine']['load_before']}",
        f"{'server':<14}{'median MB/s':>12}{'min':>8}{'max':>8}{'CPU s/GiB':>11}",
    ]
    for name, r in out["results"].items():
        lines.append(
            f"{name:<14}{r['median_mb_s']:>12}{r['min_mb_s']:>8}{r['max_mb_s']:>8}"
            f"{r['cpu_s_per_gib']:>11}"
        )
    rss = out["rss_mb"]
    lines.append(f"ratio streamcore / FileResponse: {out['ratio']}x")
    lines.append(
        f"streamcore RSS: {rss['before']} MB before any download, {rss['after_warm_up']} MB "
        f"after the warm-up one, {rss['after']} MB after the last (growth {rss['growth']} MB; "
        f"peak {rss['peak']} MB, login's argon2id included)"
    )
    lines.append(f"targets met: {out['targets_met']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table (and, with ``--json``, JSON on stdout)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="file size in MiB")
    parser.add_argument("--runs", type=int, default=5, help="timed downloads per server")
    parser.add_argument("--sparse", action="store_true", help="a sparse file (no disk reads)")
    parser.add_argument("--client", choices=["curl", "httpx"], help="default: curl if present")
    parser.add_argument("--json", action="store_true", help="JSON on stdout, the table on stderr")
    args = parser.parse_args(argv)
    out = run(args)
    if args.json:
        print(render(out), file=sys.stderr)
        print(json.dumps(out, indent=2))
    else:
        print(render(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
