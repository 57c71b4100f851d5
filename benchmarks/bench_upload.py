"""Uploading a 1 GiB media file: ``PUT /api/movie/{id}/media`` and ``movie attach`` against peers.

    .venv/bin/python benchmarks/bench_upload.py [--size-mib 1024] [--rounds 3]
        [--sample-ms 20] [--json]

One run makes a temporary directory with a ``--size-mib`` file of random bytes, a SQLite
database holding an editor and a movie without media, and starts two servers as subprocesses
on free 127.0.0.1 ports (each stopped by its PID at the end), one uvicorn worker each with the
options ``streamcore serve`` uses:

``streamcore``  ``streamcore serve``: bearer token, editor check, the movie, the body streamed to
                a temporary file under the media root with its SHA-256, fsync, rename, the
                movie's ``media_path`` updated;
``peer``        ``upload_peer.py``, a bare ASGI app doing the same file work (temporary file,
                SHA-256 on the way, fsync, rename, fsync of the directory) on the event loop,
                with nothing of streamcore around it.

Each round runs, in an order rotating from round to round: ``curl -T`` of the file to each
server (``PUT``, ``Expect:`` off, ``Content-Type: video/mp4``), ``streamcore movie attach ID
FILE`` (the CLI, a process of its own), ``dd bs=1M conv=fsync`` of the file into the same
directory (the floor of a copy through a process, the peer of ``movie attach``) and ``cp`` then
``sync FILE`` (the kernel's floor: ``cp`` uses ``copy_file_range``, no byte enters a process).
Every upload's answer is checked: its size and SHA-256 are those of the file. Reported per
case: MB/s (10^6 bytes/s; median, min, max over rounds), the ratios to the peer and to ``dd``
within each round (then their median), the servers' CPU seconds per GiB, and memory: each
server's ``VmRSS`` sampled every ``--sample-ms`` from /proc/PID/status during every upload
(just before it, the highest sample, just after), and the CLI's highest sampled ``VmRSS`` for
the large file against the same CLI attaching a 1 MiB file (what the file's size adds).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
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
EMAIL = "ed@example.org"
PASSWORD = "benchmark password 1"
MIB = 1024 * 1024


def log(message: str) -> None:
    """Progress and tables go to stderr (``--json`` keeps stdout for the JSON)."""
    print(message, file=sys.stderr, flush=True)


# --- memory ----------------------------------------------------------------------------------


def rss_mb(pid: int) -> float | None:
    """Resident memory of ``pid`` now, MB (10^6 bytes); None once it has exited."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    line = next((line for line in status.splitlines() if line.startswith("VmRSS:")), None)
    return int(line.split()[1]) * 1024 / 1e6 if line else None


@dataclass
class Sampler:
    """Samples a process's ``VmRSS`` on a thread of its own until stopped (or the process ends)."""

    pid: int
    interval: float
    samples: list[float] = field(default_factory=list)
    _done: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> Sampler:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._done.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while not self._done.is_set():
            value = rss_mb(self.pid)
            if value is None:
                return
            self.samples.append(value)
            self._done.wait(self.interval)

    @property
    def peak(self) -> float:
        """The highest sample, MB."""
        return max(self.samples) if self.samples else float("nan")


# --- set-up ----------------------------------------------------------------------------------


def make_file(path: Path, size: int) -> str:
    """A file of ``size`` random bytes (seeded); its SHA-256."""
    rng = random.Random(1)
    digest = hashlib.sha256()
    with path.open("wb") as out:
        left = size
        while left:
            block = rng.randbytes(min(16 * MIB, left))
            out.write(block)
            digest.update(block)
            left -= len(block)
    return digest.hexdigest()


def seed(workdir: Path) -> tuple[Settings, int]:
    """The database: an editor and one movie without media."""
    settings = Settings(
        database_url=f"sqlite:///{workdir / 'upload.db'}", media_root=workdir / "media"
    )
    with StreamCore.open(settings) as core:
        core.auth.create_user(
            UserCreate(email=EMAIL, password=PASSWORD, name="Ed", role=Role.EDITOR), actor=SYSTEM
        )
        movie = core.movies.create(MovieCreate(title="Upload", year=2020), actor=SYSTEM)
    return settings, movie.id


@dataclass
class Server:
    """A server under test: its name, the URL to PUT to, its process."""

    name: str
    url: str
    process: subprocess.Popen[bytes]


def environment(settings: Settings) -> dict[str, str]:
    """This process's environment with no STREAMCORE_ setting but the database and media root."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMCORE_")}
    env["STREAMCORE_DATABASE_URL"] = settings.database_url
    env["STREAMCORE_MEDIA_ROOT"] = str(settings.media_root)
    return env


@contextmanager
def servers(workdir: Path, settings: Settings, movie_id: int) -> Iterator[dict[str, Server]]:
    """``streamcore serve`` and the peer, both up; stopped by PID afterwards."""
    env = environment(settings)
    sc_port, peer_port = free_port(), free_port()
    peer_dir = workdir / "peer"
    peer_dir.mkdir()
    # The options streamcore serve passes to uvicorn.run: host, port, one worker.
    peer_code = (
        f"import uvicorn; uvicorn.run('upload_peer:app', host='127.0.0.1', port={peer_port},"
        " workers=1)"
    )
    argvs = {
        "streamcore": [STREAMCORE, "serve", "--host", "127.0.0.1", "--port", str(sc_port)],
        "peer": [sys.executable, "-c", peer_code],
    }
    envs: dict[str, Mapping[str, str]] = {
        "streamcore": env,
        "peer": {**env, "PEER_DIR": str(peer_dir), "PYTHONPATH": str(HERE)},
    }
    started: list[subprocess.Popen[bytes]] = []
    try:
        for name, argv in argvs.items():
            with (workdir / f"{name}.log").open("wb") as out:
                started.append(
                    subprocess.Popen(
                        argv, cwd=workdir, env=dict(envs[name]), stdout=out, stderr=out
                    )
                )
        sc, peer = started
        sc_url, peer_url = f"http://127.0.0.1:{sc_port}", f"http://127.0.0.1:{peer_port}"
        wait_until_up(sc, f"{sc_url}/api/health", workdir / "streamcore.log")
        wait_until_up(peer, f"{peer_url}/", workdir / "peer.log")
        yield {
            "streamcore": Server("streamcore", f"{sc_url}/api/movie/{movie_id}/media", sc),
            "peer": Server("peer", f"{peer_url}/upload", peer),
        }
    finally:
        for process in started:
            stop(process)


def login(server: Server, workdir: Path) -> Path:
    """A curl header file with the editor's bearer token (kept out of the process list)."""
    base = server.url.split("/api/")[0]
    answer = httpx.post(f"{base}/api/auth/login", json={"email": EMAIL, "password": PASSWORD})
    answer.raise_for_status()
    headers = workdir / "headers.txt"
    headers.write_text(f"Authorization: Bearer {answer.json()['access_token']}\n")
    return headers


# --- the cases -------------------------------------------------------------------------------


@dataclass
class Sample:
    """One timed case: seconds, and memory and CPU where a process of ours did the work."""

    case: str
    round: int
    seconds: float
    rss_before_mb: float | None = None
    rss_peak_mb: float | None = None
    rss_after_mb: float | None = None
    cpu_s: float | None = None


def put(
    server: Server, source: Path, expected: tuple[int, str], headers: Path, interval: float
) -> Sample:
    """``curl -T`` the file to ``server``; checks the answer's size and SHA-256."""
    pid = server.process.pid
    answer = source.with_name(f"answer-{server.name}.json")
    argv = ["curl", "-sS", "-f", "-T", str(source), "-o", str(answer), "-w", "%{time_total}"]
    argv += ["-H", "Content-Type: video/mp4", "-H", "Expect:"]
    if server.name == "streamcore":
        argv += ["-H", f"@{headers}"]
    before, cpu = rss_mb(pid), cpu_seconds(pid)
    with Sampler(pid, interval) as sampler:
        seconds = float(
            subprocess.run([*argv, server.url], capture_output=True, text=True, check=True).stdout
        )
    after, cpu = rss_mb(pid), cpu_seconds(pid) - cpu
    body = json.loads(answer.read_text())
    assert (body["size"], body["sha256"]) == expected, body
    return Sample(server.name, -1, seconds, before, sampler.peak, after, cpu)


def attach(
    settings: Settings, movie_id: int, source: Path, expected: tuple[int, str], interval: float
) -> Sample:
    """``streamcore --json movie attach`` as a process of its own; its highest sampled RSS."""
    argv = [STREAMCORE, "--json", "movie", "attach", str(movie_id), str(source)]
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, env=environment(settings), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    with Sampler(process.pid, interval) as sampler:
        out, err = process.communicate()
    seconds = time.perf_counter() - started
    if process.returncode != 0:
        raise RuntimeError(f"movie attach exited {process.returncode}: {err.decode()}")
    body = json.loads(out)
    assert (body["size"], body["sha256"]) == expected, body
    return Sample("movie attach", -1, seconds, rss_peak_mb=sampler.peak)


def copy(source: Path, target: Path) -> Sample:
    """``cp`` then ``sync FILE`` (an fsync of the copy): the kernel's floor.

    coreutils' ``cp`` copies with ``copy_file_range``, inside the kernel: no byte passes
    through a process, which no upload can match.
    """
    started = time.perf_counter()
    subprocess.run(["cp", str(source), str(target)], check=True)
    subprocess.run(["sync", str(target)], check=True)
    seconds = time.perf_counter() - started
    target.unlink()
    return Sample("cp + sync", -1, seconds)


def dd(source: Path, target: Path) -> Sample:
    """``dd bs=1M conv=fsync``: every byte read into a process and written out, then fsync.

    The floor of what ``movie attach`` does (it reads and writes 1 MiB at a time too), without
    Python, the hash or the database.
    """
    argv = ["dd", f"if={source}", f"of={target}", "bs=1M", "conv=fsync", "status=none"]
    started = time.perf_counter()
    subprocess.run(argv, check=True)
    seconds = time.perf_counter() - started
    target.unlink()
    return Sample("dd fsync", -1, seconds)


# --- the run ---------------------------------------------------------------------------------


def run(args: argparse.Namespace) -> dict[str, Any]:
    """Set up, warm up, run every case ``--rounds`` times; the figures."""
    size = args.size_mib * MIB
    interval = args.sample_ms / 1000
    samples: list[Sample] = []
    with tempfile.TemporaryDirectory(prefix="bench-upload-") as tmp:
        workdir = Path(tmp)
        source = workdir / "source.mp4"
        log(f"writing {args.size_mib} MiB of random bytes ...")
        expected = (size, make_file(source, size))
        small = workdir / "small.mp4"
        small_expected = (MIB, make_file(small, MIB))
        settings, movie_id = seed(workdir)
        with servers(workdir, settings, movie_id) as running:
            headers = login(running["streamcore"], workdir)
            rss_idle = {name: rss_mb(s.process.pid) for name, s in running.items()}
            cases: dict[str, Callable[[Path, tuple[int, str]], Sample]] = {
                "streamcore": lambda f, e: put(running["streamcore"], f, e, headers, interval),
                "peer": lambda f, e: put(running["peer"], f, e, headers, interval),
                "movie attach": lambda f, e: attach(settings, movie_id, f, e, interval),
                "dd fsync": lambda f, e: dd(f, workdir / "copy.mp4"),
                "cp + sync": lambda f, e: copy(f, workdir / "copy.mp4"),
            }
            small_attach = [cases["movie attach"](small, small_expected) for _ in range(3)]
            for case in cases.values():  # warm: code paths, the page cache of the source
                case(small, small_expected)
            subprocess.run(["cat", str(source)], stdout=subprocess.DEVNULL, check=True)
            names = list(cases)
            for number in range(args.rounds):
                shift = number % len(names)
                for name in names[shift:] + names[:shift]:
                    sample = cases[name](source, expected)
                    sample.round = number
                    samples.append(sample)
                    log(
                        f"round {number + 1} {name:<13} {size / sample.seconds / 1e6:7.0f} MB/s"
                        f"  {asdict(sample)}"
                    )
            hwm = {name: _hwm_mb(s.process.pid) for name, s in running.items()}
    return summarize(args, size, samples, rss_idle, hwm, small_attach)


def _hwm_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    line = next(line for line in status.splitlines() if line.startswith("VmHWM:"))
    return int(line.split()[1]) * 1024 / 1e6


def summarize(
    args: argparse.Namespace,
    size: int,
    samples: list[Sample],
    rss_idle: dict[str, float | None],
    hwm: dict[str, float],
    small_attach: list[Sample],
) -> dict[str, Any]:
    """Medians per case, ratios to the peer within each round, memory."""
    names = list(dict.fromkeys(s.case for s in samples))
    peer = {s.round: s for s in samples if s.case == "peer"}
    floor = {s.round: s for s in samples if s.case == "dd fsync"}
    results: dict[str, Any] = {}
    for name in names:
        rows = [s for s in samples if s.case == name]
        rates = [size / s.seconds / 1e6 for s in rows]
        ratios = [peer[s.round].seconds / s.seconds for s in rows]
        entry: dict[str, Any] = {
            "median_mb_s": round(statistics.median(rates), 1),
            "min_mb_s": round(min(rates), 1),
            "max_mb_s": round(max(rates), 1),
            "ratio_to_peer": round(statistics.median(ratios), 2),
            "ratios": [round(r, 2) for r in ratios],
            "ratio_to_dd": round(
                statistics.median(floor[s.round].seconds / s.seconds for s in rows), 2
            ),
        }
        cpu = [s.cpu_s for s in rows if s.cpu_s is not None]
        if cpu:
            entry["cpu_s_per_gib"] = round(statistics.median(cpu) / (size / 1024**3), 2)
        peaks = [s.rss_peak_mb for s in rows if s.rss_peak_mb is not None]
        if peaks:
            entry["rss_peak_mb"] = round(max(peaks), 1)
        befores = [s.rss_before_mb for s in rows if s.rss_before_mb is not None]
        afters = [s.rss_after_mb for s in rows if s.rss_after_mb is not None]
        if befores and afters:
            entry["rss_before_mb"] = round(min(befores), 1)
            entry["rss_after_mb"] = round(max(afters), 1)
            entry["rss_growth_mb"] = round(entry["rss_peak_mb"] - entry["rss_before_mb"], 1)
        results[name] = entry
    small_peak = max(s.rss_peak_mb or 0.0 for s in small_attach)
    return {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
        "size_bytes": size,
        "rounds": args.rounds,
        "sample_ms": args.sample_ms,
        "results": results,
        "rss_idle_mb": {k: round(v, 1) if v else v for k, v in rss_idle.items()},
        "vm_hwm_mb_at_end": {k: round(v, 1) for k, v in hwm.items()},
        "attach_1_mib_peak_mb": round(small_peak, 1),
        "attach_1_mib_seconds": round(statistics.median(s.seconds for s in small_attach), 2),
        "attach_growth_mb": round(results["movie attach"]["rss_peak_mb"] - small_peak, 1),
    }


def render(out: dict[str, Any]) -> str:
    """The table."""
    lines = [
        f"{out['size_bytes'] // MIB} MiB, {out['rounds']} rounds, commit {out['commit']}, "
        f"load {out['load_before']} -> {out['load_after']}",
        f"{'case':<14}{'median MB/s':>12}{'min':>7}{'max':>7}{'/ dd':>7}{'/ peer':>8}  rounds"
        f"{'CPU s/GiB':>14}{'RSS before/peak/after MB':>28}",
    ]
    for name, r in out["results"].items():
        rss = ""
        if "rss_before_mb" in r:
            rss = f"{r['rss_before_mb']} / {r['rss_peak_mb']} / {r['rss_after_mb']}"
        elif "rss_peak_mb" in r:
            rss = f"peak {r['rss_peak_mb']}"
        shown = ",".join(f"{x:.2f}" for x in r["ratios"])
        lines.append(
            f"{name:<14}{r['median_mb_s']:>12}{r['min_mb_s']:>7}{r['max_mb_s']:>7}"
            f"{r['ratio_to_dd']:>6}x{r['ratio_to_peer']:>7}x  {shown:<16}"
            f"{r.get('cpu_s_per_gib', ''):>6}{rss:>28}"
        )
    lines.append(
        f"movie attach: peak RSS {out['results']['movie attach']['rss_peak_mb']} MB for the "
        f"large file, {out['attach_1_mib_peak_mb']} MB for 1 MiB (growth "
        f"{out['attach_growth_mb']} MB); a 1 MiB attach takes {out['attach_1_mib_seconds']} s"
        " (the CLI's start)"
    )
    lines.append(
        f"servers idle after login {out['rss_idle_mb']} MB; VmHWM at the end "
        f"{out['vm_hwm_mb_at_end']} MB (streamcore's includes the login's argon2id)"
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table (and, with ``--json``, JSON on stdout)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="file size in MiB")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds of every case")
    parser.add_argument("--sample-ms", type=int, default=20, help="RSS sampling interval")
    parser.add_argument("--json", action="store_true", help="JSON on stdout, the table on stderr")
    args = parser.parse_args(argv)
    load_before = load_average()
    out = run(args)
    out["load_before"], out["load_after"] = load_before, load_average()
    if args.json:
        log(render(out))
        print(json.dumps(out, indent=2))
    else:
        print(render(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
