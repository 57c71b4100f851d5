"""The REST adapter under load: ``streamcore serve`` against a bare FastAPI route, with wrk.

    .venv/bin/python benchmarks/bench_rest.py [--movies 10000] [--duration 10] [--connections 32]
        [--rounds 3] [--login-duration 10] [--login-connections 4] [--tree NAME=DIR ...]
        [--profile] [--json]

Needs ``wrk`` (it is not a Python package: ``sudo apt-get install wrk`` on Debian or Ubuntu,
``brew install wrk`` on macOS) and the ``api`` extra (FastAPI, ``uvicorn[standard]``).

One run seeds a fresh SQLite file with ``--movies`` movies and one subscriber (production
argon2id hash), logs it in through the core for a bearer token, then starts, as subprocesses on
free 127.0.0.1 ports, each stopped by its PID at the end:

``streamcore``  ``streamcore serve`` (1 worker) over that file;
``peer``        a bare FastAPI app with one ``async def`` route returning a constant, run by
                ``uvicorn.run`` with the options ``streamcore serve`` passes (1 worker, the same
                loop and HTTP implementation: uvicorn's ``auto``, access log on);
``NAME``        with ``--tree NAME=DIR``: ``streamcore serve`` from another source tree (e.g.
                ``git archive`` of an older commit), ``PYTHONPATH=DIR``, over the same file.

wrk runs as a separate process (one thread, ``--connections`` connections, ``--latency``)
against each case in turn; a round runs every case once, the order rotating from round to round,
and ratios are taken within a round (the machine is shared: only same-round ratios and medians
mean much). Cases: ``peer`` (``GET /peer``), ``get`` (``GET /api/movie/{id}``, random ids, with
the bearer header), ``list`` (``GET /api/movie``, the first page of 20 with its total). Each line
gives requests/s, p50 and p99 latency, and the server's own CPU time per request (from
``/proc/PID/stat``: less sensitive to the machine's load than requests/s). Then ``login``
(``POST /api/auth/login``, production argon2id) once against ``streamcore``, with the cost of one
verify measured in process, wall and CPU, to say what bounds it.

``--profile`` also samples the ``streamcore`` server with py-spy (if installed) during one more
``get`` run and prints where its main thread and its worker threads spend their time.
``--probes`` adds, in process (no HTTP, one request at a time, CPU time), a ladder of probe
routes placed in front of the app's own, each adding one layer of ``GET /api/movie/{id}``
(a dependency, the permission, a thread hop), beside the peer and the core calls alone.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from support import cpu_seconds, free_port, git_commit, load_average, stop

HERE = Path(__file__).resolve().parent
STREAMCORE = str(Path(sys.executable).with_name("streamcore"))
EMAIL = "bench@example.org"
PASSWORD = "correct horse battery"
TARGET_RATIO = 0.5
START_TIMEOUT = 60.0
WRK_HINT = (
    "wrk is not installed: it is a C program, not a Python package. Install it with"
    " `sudo apt-get install wrk` (Debian, Ubuntu) or `brew install wrk` (macOS), then run"
    " this again."
)

# --- the peer --------------------------------------------------------------------------------


def make_peer() -> Any:
    """The peer: a bare FastAPI app with one ``async def`` route returning a constant."""
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/peer")
    async def peer() -> dict[str, str]:
        return {"status": "ok"}

    return app


def serve_peer(port: int) -> None:
    """Run the peer the way ``streamcore serve`` runs the app (commands/serve.py)."""
    import uvicorn

    uvicorn.run("bench_rest:make_peer", factory=True, host="127.0.0.1", port=port, workers=1)


# --- servers ---------------------------------------------------------------------------------


@dataclass
class Server:
    """A server subprocess: its name, URL, process and log."""

    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far (all its threads)."""
        return cpu_seconds(self.process.pid)

    def stop(self) -> None:
        """SIGTERM by PID, then SIGKILL if it lingers."""
        stop(self.process)


def start(
    name: str, argv: Sequence[str], env: Mapping[str, str], port: int, workdir: Path
) -> Server:
    """Start ``argv``; return once ``GET /`` gets any HTTP answer."""
    import httpx

    log_path = workdir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            list(argv), cwd=workdir, env=dict(env), stdout=log, stderr=subprocess.STDOUT
        )
    server = Server(name, f"http://127.0.0.1:{port}", process, log_path)
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited {process.returncode}:\n{log_path.read_text()}")
        try:
            httpx.get(server.url + "/", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"{name} did not answer within {START_TIMEOUT} s")


def base_env(database_url: str, pythonpath: str | None = None) -> dict[str, str]:
    """The environment without any STREAMCORE_ setting but the database."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("STREAMCORE_")}
    env["STREAMCORE_DATABASE_URL"] = database_url
    env.pop("PYTHONPATH", None)
    if pythonpath:
        env["PYTHONPATH"] = pythonpath
    return env


# --- seeding ---------------------------------------------------------------------------------


def seed(database_url: str, movie_count: int) -> str:
    """Movies in bulk, one subscriber with the production hash; a bearer token for it."""
    from bench_read_path import movie_rows

    from streamcore import StreamCore
    from streamcore.auth.models import Credentials, UserCreate
    from streamcore.auth.permissions import SYSTEM, Role
    from streamcore.storage.sql.bulk import insert_rows
    from streamcore.storage.sql.schema import movies
    from streamcore.storage.sql.storage import SqlStorage

    with StreamCore.open(database_url) as core:
        assert isinstance(core.storage, SqlStorage)
        with core.storage.engine.begin() as conn:
            insert_rows(conn, movies, movie_rows(movie_count, datetime.now(UTC)))
        user = UserCreate(email=EMAIL, password=PASSWORD, name="Bench", role=Role.SUBSCRIBER)
        core.auth.create_user(user, actor=SYSTEM)
        return core.auth.login(Credentials(email=EMAIL, password=PASSWORD)).access_token


def call_times(
    database_url: str, token: str, movie_count: int, calls: int = 2000
) -> dict[str, Any]:
    """How long each core call of ``get`` blocks its thread, in process: p50 and p99 in ms."""
    import random

    from streamcore import StreamCore
    from streamcore.auth.permissions import SYSTEM
    from streamcore.movies.models import MovieQuery

    rng = random.Random(7)
    out: dict[str, Any] = {}
    with StreamCore.open(database_url) as core:
        cases = {
            "authenticate": lambda: core.auth.authenticate(token),
            "movies.get": lambda: core.movies.get(rng.randint(1, movie_count), actor=SYSTEM),
            "movies.list": lambda: core.movies.list(MovieQuery(), actor=SYSTEM),
        }
        for name, call in cases.items():
            times = []
            for _ in range(calls if name != "movies.list" else calls // 10):
                started = time.perf_counter()
                call()
                times.append((time.perf_counter() - started) * 1e3)
            times.sort()
            out[name] = {
                "p50_ms": times[len(times) // 2],
                "p99_ms": times[int(len(times) * 0.99)],
            }
    return out


def verify_cost(rounds: int = 5) -> dict[str, float]:
    """Wall and CPU seconds of one production argon2id verify (median of ``rounds``)."""
    from streamcore.auth.passwords import PRODUCTION, Argon2Hasher

    hasher = Argon2Hasher(PRODUCTION)
    stored = hasher.hash(PASSWORD)
    walls, cpus = [], []
    for _ in range(rounds):
        wall, cpu = time.perf_counter(), time.process_time()
        assert hasher.verify(stored, PASSWORD)
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    return {"wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus)}


# --- wrk -------------------------------------------------------------------------------------


@dataclass
class Case:
    """One kind of request: which server, and the wrk Lua script that makes it."""

    name: str
    server: str
    lua: str


@dataclass
class Result:
    """One wrk run."""

    case: str
    server: str
    round: int
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    cpu_us_per_request: float
    errors: str = ""


LUA_GET = """
wrk.headers["Authorization"] = "Bearer {token}"
math.randomseed({seed})
request = function()
  return wrk.format("GET", "/api/movie/" .. math.random(1, {movies}))
end
"""
LUA_PATH = """
wrk.headers["Authorization"] = "Bearer {token}"
wrk.path = "{path}"
"""
LUA_LOGIN = """
wrk.method = "POST"
wrk.path = "/api/auth/login"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{body}'
"""
UNITS = {"us": 1e-3, "ms": 1.0, "s": 1e3, "m": 60e3}


def _ms(out: str, percentile: int) -> float:
    """A latency percentile of wrk's ``--latency`` table, in ms (NaN if wrk printed none)."""
    found = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.MULTILINE)
    return float(found.group(1)) * UNITS[found.group(2)] if found else float("nan")


def wrk(
    server: Server, script: Path, *, duration: int, connections: int, threads: int = 1
) -> dict[str, Any]:
    """Run wrk once; its requests/s, p50, p99 and errors, and the server's CPU time meanwhile."""
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{duration}s", "--latency"]
    argv.append("--timeout=60s")  # wrk's default (2 s) would count slow logins as errors
    cpu_before = server.cpu_seconds()
    out = subprocess.run(
        [*argv, "-s", str(script), server.url], capture_output=True, text=True, check=True
    ).stdout
    cpu = server.cpu_seconds() - cpu_before
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    errors = [
        line.strip() for line in out.splitlines() if "Non-2xx" in line or "Socket errors" in line
    ]
    return {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),  # type: ignore[union-attr]
        "p50_ms": _ms(out, 50),
        "p99_ms": _ms(out, 99),
        "requests": requests,
        "cpu_us_per_request": cpu / max(requests, 1) * 1e6,
        "errors": "; ".join(errors),
    }


# --- profile ---------------------------------------------------------------------------------

BUCKETS = (
    ("core: authenticate", "AuthService.authenticate"),
    ("core: movies.get", "MovieService.get"),
    ("core: movies.list", "MovieService.list"),
    ("thread hop: anyio (def routes, def dependencies)", "run_sync_in_worker_thread"),
    ("thread hop: run_blocking (decision 170)", "run_blocking"),
    ("solve_dependencies (FastAPI)", "solve_dependencies"),
    ("response validation + JSON (FastAPI)", "serialize_response"),
    ("access log (uvicorn)", "Logger.info"),
    ("send the response (Starlette, uvicorn)", "Response.__call__"),
    ("HTTP parsing (httptools)", "data_received"),
)


def profile(server: Server, script: Path, args: argparse.Namespace) -> dict[str, Any] | None:
    """py-spy samples of ``server`` under one ``get`` run, summed by thread and by bucket."""
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(py_spy).exists():
        log("--profile: py-spy not found (pip install py-spy); skipped")
        return None
    raw = script.with_suffix(".profile.txt")
    seconds = max(3, int(args.duration) - 2)
    load = subprocess.Popen(
        ["wrk", "-t1", f"-c{args.connections}", f"-d{seconds + 2}s", "-s", str(script), server.url],
        stdout=subprocess.DEVNULL,
    )
    time.sleep(1)
    subprocess.run(
        [
            py_spy,
            "record",
            "--nonblocking",
            "-r",
            "250",
            "-d",
            str(seconds),
            "-f",
            "raw",
            "-o",
            str(raw),
            "-p",
            str(server.process.pid),
        ],
        capture_output=True,
        check=True,
    )
    load.wait()
    main_thread, workers = Counter[str](), Counter[str]()
    totals = Counter[str]()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [frame.split(" (")[0] for frame in stack.split(";")]
        n = int(count)
        side = "workers" if frames[0] == "Thread._bootstrap" else "main"
        if side == "workers" and frames[-1] in {"Condition.wait", "Queue.get"}:
            continue  # an idle worker thread waiting for work
        totals[side] += n
        target = workers if side == "workers" else main_thread
        for bucket, needle in BUCKETS:
            if any(needle in frame for frame in frames):
                target[bucket] += n
    samples = seconds * 250
    summary = {
        "samples_per_thread": samples,
        "main_busy": totals["main"] / samples,
        "workers_busy": totals["workers"] / samples,
        "main": {k: v / samples for k, v in main_thread.most_common()},
        "workers": {k: v / samples for k, v in workers.most_common()},
    }
    log(f"py-spy, {seconds} s of get: share of wall time (250 samples/s per thread)")
    log(f"  event-loop thread busy {summary['main_busy']:.0%}:")
    for bucket, share in summary["main"].items():
        log(f"    {share:6.1%}  {bucket}")
    log(f"  worker threads busy {summary['workers_busy']:.0%} (summed over threads):")
    for bucket, share in summary["workers"].items():
        log(f"    {share:6.1%}  {bucket}")
    return summary


# --- probes: the cost of each layer, in process ---------------------------------------------


def probes(database_url: str, token: str, reps: int = 7, calls: int = 300) -> dict[str, float]:
    """CPU µs per request of each probe and of the peer, called in process one after another."""
    import asyncio

    from rest_probes import probe_app

    from streamcore.auth.permissions import SYSTEM

    core, app, ladder = probe_app(database_url)
    cases = [("peer: bare FastAPI, async constant", make_peer(), "/peer")]
    cases += [(name, app, path) for name, path in ladder]
    headers = [(b"host", b"127.0.0.1"), (b"authorization", f"Bearer {token}".encode())]

    async def call(target: Any, path: str) -> None:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "GET",
            "scheme": "http",
            "path": path,
            "raw_path": path.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": headers,
            "client": ("127.0.0.1", 5000),
            "server": ("127.0.0.1", 8000),
            "state": {},
        }
        statuses = []

        async def receive() -> dict[str, Any]:
            return {"type": "http.request", "body": b"", "more_body": False}

        async def send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                statuses.append(message["status"])

        await target(scope, receive, send)
        assert statuses == [200], (path, statuses)

    async def run() -> dict[str, list[float]]:
        samples: dict[str, list[float]] = {name: [] for name, _, _ in cases}
        for _ in range(reps):  # round robin: every case sees the same load
            for name, target, path in cases:
                started = time.process_time()
                for _ in range(calls):
                    await call(target, path)
                samples[name].append((time.process_time() - started) / calls * 1e6)
        return samples

    loop_factory = None
    try:
        import uvloop

        loop_factory = uvloop.new_event_loop
    except ImportError:
        pass
    with asyncio.Runner(loop_factory=loop_factory) as runner:
        samples = runner.run(run())
    for name, direct in (
        ("core.auth.authenticate, called directly", lambda: core.auth.authenticate(token)),
        ("core.movies.get, called directly", lambda: core.movies.get(5, actor=SYSTEM)),
    ):
        samples[name] = []
        for _ in range(reps):
            started = time.process_time()
            for _ in range(calls):
                direct()
            samples[name].append((time.process_time() - started) / calls * 1e6)
    core.close()
    out = {name: statistics.median(values) for name, values in samples.items()}
    log("in process, one request at a time: median CPU µs per request")
    for name, value in out.items():
        log(f"  {value:7.0f}  {name}")
    return out


# --- the run ---------------------------------------------------------------------------------


def log(message: str) -> None:
    """Progress and the tables go to stderr (``--json`` keeps stdout for the JSON)."""
    print(message, file=sys.stderr, flush=True)


def machine_info() -> dict[str, Any]:
    """What the figures depend on."""
    from importlib.metadata import PackageNotFoundError, version

    versions = {}
    for name in ("fastapi", "starlette", "uvicorn", "pydantic", "uvloop", "httptools"):
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "versions": versions,
        "wrk": wrk_version.split("[")[0].strip() or None,
        "loadavg_start": load_average(),
    }


@contextmanager
def servers(
    workdir: Path, database_url: str, trees: Sequence[tuple[str, str]]
) -> Iterator[dict[str, Server]]:
    """Every server of the run, started one after another; all stopped by PID at the end."""
    started: dict[str, Server] = {}
    with ExitStack() as stack:
        specs = [("streamcore", None), *trees]
        for name, tree in specs:
            port = free_port()
            argv = [STREAMCORE, "serve", "--host", "127.0.0.1", "--port", str(port)]
            server = start(name, argv, base_env(database_url, tree), port, workdir)
            stack.callback(server.stop)
            started[name] = server
        port = free_port()
        argv = [sys.executable, str(HERE / "bench_rest.py"), "--serve-peer", str(port)]
        peer = start("peer", argv, base_env(database_url, str(HERE)), port, workdir)
        stack.callback(peer.stop)
        started["peer"] = peer
        yield started


def write_scripts(workdir: Path, token: str, args: argparse.Namespace) -> dict[str, Path]:
    """The wrk Lua scripts of each case."""
    body = json.dumps({"email": EMAIL, "password": PASSWORD})
    texts = {
        "peer": LUA_PATH.format(token=token, path="/peer"),
        "get": LUA_GET.format(token=token, seed=7, movies=args.movies),
        "list": LUA_PATH.format(token=token, path="/api/movie"),
        "login": LUA_LOGIN.format(body=body),
    }
    paths = {}
    for name, text in texts.items():
        paths[name] = workdir / f"{name}.lua"
        paths[name].write_text(text)
    return paths


def print_table(results: list[Result], names: Sequence[str]) -> dict[str, Any]:
    """Per case: the median of each figure; ratios to the peer of the same round."""
    peer = {r.round: r for r in results if r.case == "peer"}
    summary: dict[str, Any] = {}
    log("")
    log(
        f"{'case':<22} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'CPU us/req':>11}"
        f" {'ratio to peer (rounds)':>30} {'CPU ratio':>10}"
    )
    for case in ("peer", "get", "list"):
        for name in ["peer"] if case == "peer" else names:
            rows = [r for r in results if r.case == case and r.server == name]
            if not rows:
                continue
            ratios = [r.rps / peer[r.round].rps for r in rows]
            cpu_ratios = [peer[r.round].cpu_us_per_request / r.cpu_us_per_request for r in rows]
            entry = {
                "rps": statistics.median(r.rps for r in rows),
                "p50_ms": statistics.median(r.p50_ms for r in rows),
                "p99_ms": statistics.median(r.p99_ms for r in rows),
                "cpu_us_per_request": statistics.median(r.cpu_us_per_request for r in rows),
                "ratio": statistics.median(ratios),
                "ratios": ratios,
                "cpu_ratio": statistics.median(cpu_ratios),
            }
            label = case if case == "peer" else f"{case} ({name})"
            summary[label] = entry
            shown = ", ".join(f"{x:.2f}" for x in ratios)
            log(
                f"{label:<22} {entry['rps']:>8.0f} {entry['p50_ms']:>8.2f} {entry['p99_ms']:>8.2f}"
                f" {entry['cpu_us_per_request']:>11.0f} {entry['ratio']:>8.3f}x ({shown})"
                f" {entry['cpu_ratio']:>9.3f}x"
            )
    return summary


def main(argv: list[str] | None = None) -> int:
    """Seed, start the servers, run every case ``--rounds`` times, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movies", type=int, default=10_000)
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--login-duration", type=int, default=10)
    parser.add_argument("--login-connections", type=int, default=4)
    parser.add_argument(
        "--tree",
        action="append",
        default=[],
        metavar="NAME=DIR",
        help="also serve the streamcore package found in DIR (repeatable)",
    )
    parser.add_argument("--profile", action="store_true", help="py-spy the server under get")
    parser.add_argument(
        "--probes", action="store_true", help="also the cost of each layer, in process"
    )
    parser.add_argument("--json", action="store_true", help="JSON on stdout")
    parser.add_argument("--serve-peer", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_peer:
        serve_peer(args.serve_peer)
        return 0
    if shutil.which("wrk") is None:
        log(WRK_HINT)
        return 2
    trees = [tuple(spec.split("=", 1)) for spec in args.tree]
    info = machine_info()
    log(f"{info['date']}  commit {info['commit']}  load {info['loadavg_start']}")
    log(f"versions {info['versions']}  {info['wrk']}")
    results: list[Result] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        database_url = f"sqlite:///{workdir / 'rest.db'}"
        token = seed(database_url, args.movies)
        scripts = write_scripts(workdir, token, args)
        with servers(workdir, database_url, trees) as running:
            names = ["streamcore", *(name for name, _ in trees)]
            cases = [Case("peer", "peer", "peer")]
            cases += [Case(kind, name, kind) for kind in ("get", "list") for name in names]
            for case in cases:  # warm-up: imports, caches, the pool's connections
                wrk(running[case.server], scripts[case.lua], duration=2, connections=4)
            for number in range(args.rounds):
                shift = number % len(cases)
                for case in cases[shift:] + cases[:shift]:
                    figures = wrk(
                        running[case.server],
                        scripts[case.lua],
                        duration=args.duration,
                        connections=args.connections,
                    )
                    results.append(Result(case.name, case.server, number, **figures))
                    log(f"round {number + 1} {case.name:<6} {case.server:<12} {figures}")
            summary = print_table(results, names)
            blocking = call_times(database_url, token, args.movies)
            for name, figures in blocking.items():
                log(
                    f"{name} in process: p50 {figures['p50_ms']:.3f} ms,"
                    f" p99 {figures['p99_ms']:.3f} ms (how long it holds its thread)"
                )
            cost = verify_cost()
            login = wrk(
                running["streamcore"],
                scripts["login"],
                duration=args.login_duration,
                connections=args.login_connections,
            )
            cpus = os.cpu_count() or 1
            bound = cpus / cost["cpu_s"]
            log(
                f"login: {login['rps']:.1f}/s (p50 {login['p50_ms']:.0f} ms, p99"
                f" {login['p99_ms']:.0f} ms, {login['cpu_us_per_request'] / 1e3:.0f} ms of server"
                f" CPU per login, {args.login_connections} connections); one verify in process:"
                f" {cost['wall_s'] * 1e3:.0f} ms wall, {cost['cpu_s'] * 1e3:.0f} ms CPU ->"
                f" at most {bound:.1f}/s on {cpus} CPUs"
            )
            profiled = None
            if args.profile:
                profiled = profile(running["streamcore"], scripts["get"], args)
        layers = probes(database_url, token) if args.probes else None
    info["loadavg_end"] = load_average()
    log(f"load at the end {info['loadavg_end']}")
    get = summary["get (streamcore)"]["ratio"]
    verdict = "met" if get >= TARGET_RATIO else "MISSED"
    log(f"target: get >= {TARGET_RATIO}x the peer's requests/s: {get:.3f}x, {verdict}")
    if args.json:
        out = {
            "info": info,
            "args": {k: v for k, v in vars(args).items() if k != "serve_peer"},
            "results": [asdict(r) for r in results],
            "summary": summary,
            "login": {**login, "verify": cost, "cpu_bound_per_s": bound},
            "core_calls": blocking,
            "probes": layers,
            "profile": profiled,
        }
        print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
