"""Signed playback URLs: the cost of issuing and verifying one, against bare HMAC and a bearer.

    .venv/bin/python benchmarks/bench_playback_urls.py [--movies 10000] [--calls 2000]
        [--reps 7] [--rounds 3] [--duration 8] [--connections 16] [--skip-rest] [--json]

One run seeds a fresh SQLite file: ``--movies`` movies in bulk, one more with a 1 MiB media
file, a plan holding it, a subscriber paid up on that plan (production argon2id hash) and its
bearer token from a login through the core. No ``STREAMCORE_SECRET_KEY``: the key is generated
into the database on first use, as in a default deployment.

**In process** (this process, one call at a time). Each case is a block of ``--calls`` calls;
the cases run round robin ``--reps`` times, so all see the same load, and the median block
gives wall and CPU µs per call. Peers:

``hmac sign``            ``hmac.new(key, msg, sha256).hexdigest()``, the message built beforehand
``hmac verify``          the same plus ``hmac.compare_digest`` against a known digest
``signing.sign``         streamcore's signature (message of label + three numbers, base64url)
``signing.is_signed``    streamcore's constant-time check of a signature
``find_media``           the file lookup both paths end with (resolve, ``openat`` with
                         ``O_NOFOLLOW`` per component, ``fstat``); no byte is read
``movies.get``           the movie lookup, ``actor=SYSTEM``
``may_watch``            the entitlement rule on SQLite
``open_signed``          what the stream route calls for a playback URL: signature, expiry,
                         movie, entitlement, file lookup
``open_signed refused``  the same with one character of the signature changed
``authenticate``         the bearer path's first step: the token's digest looked up
``bearer open``          ``authenticate`` + ``playback.open``: what the stream route calls for a
                         bearer header (movie, permission, entitlement, file lookup)
``issue``                ``playback.issue``: the check of ``open`` and then a signature

Ratios: ``signing.is_signed`` / ``hmac verify`` (what streamcore's signature format costs over
the bare primitive), ``open_signed`` / ``bearer open`` (the whole verify against the whole
bearer check), and ``open_signed`` minus ``find_media`` (the verify "up to the file").

**REST** (unless ``--skip-rest``; needs ``wrk``): ``streamcore serve`` (one worker, access log on)
over the same file; wrk (one thread, ``--connections``) runs a one-byte ``Range: bytes=0-0``
``GET`` of the stream route with the signed URL and with the bearer header (not ``HEAD``: wrk
waits for a ``HEAD`` answer's body), and, as a yardstick, ``GET /api/movie/{id}`` with the
bearer header (the JSON of the same movie, no file); a round runs every case once, the order
rotating (``HEAD`` of both is checked once to answer 200); ratios are taken within a round,
then the median of ``--rounds``. Each line also gives the server's CPU µs per request, which
depends much less on the machine's load than requests/s. The server is stopped by its PID.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from bench_rest import WRK_HINT, Server, base_env, start, wrk
from support import free_port, git_commit, load_average

from streamcore import StreamCore
from streamcore.auth.models import Credentials, UserCreate
from streamcore.auth.permissions import SYSTEM, Principal, Role
from streamcore.config import Settings
from streamcore.movies import signing
from streamcore.movies.media import find_media
from streamcore.movies.models import MovieCreate
from streamcore.movies.signing import PlaybackGrant
from streamcore.subscriptions.models import PaymentCreate, PlanCreate, SubscriptionCreate

STREAMCORE = str(Path(sys.executable).with_name("streamcore"))
EMAIL = "viewer@example.org"
PASSWORD = "correct horse battery"
MEDIA = "bench.mp4"
MIB = 1024 * 1024


def log(message: str) -> None:
    """Progress and tables go to stderr (``--json`` keeps stdout for the JSON)."""
    print(message, file=sys.stderr, flush=True)


# --- seeding ---------------------------------------------------------------------------------


@dataclass
class Seeded:
    """What the run measures: the database, the playable movie, its viewer and credentials."""

    settings: Settings
    movie_id: int
    user_id: int
    token: str


def seed(workdir: Path, movie_count: int) -> Seeded:
    """Movies in bulk, one playable movie in a plan, a paid-up subscriber and its token."""
    from bench_read_path import movie_rows

    from streamcore.storage.sql.bulk import insert_rows
    from streamcore.storage.sql.schema import movies
    from streamcore.storage.sql.storage import SqlStorage

    media = workdir / "media"
    media.mkdir()
    (media / MEDIA).write_bytes(os.urandom(MIB))
    settings = Settings(database_url=f"sqlite:///{workdir / 'playback.db'}", media_root=media)
    with StreamCore.open(settings) as core:
        assert isinstance(core.storage, SqlStorage)
        with core.storage.engine.begin() as conn:
            insert_rows(conn, movies, movie_rows(movie_count, datetime.now(UTC)))
        movie = core.movies.create(
            MovieCreate(title="Playable", year=2020, media_path=MEDIA), actor=SYSTEM
        )
        plan = core.plans.create(
            PlanCreate(name="Bench", price="1.00", currency="EUR", period="month"), actor=SYSTEM
        )
        for movie_id in (movie.id, *range(1, min(movie_count, 1000) + 1)):
            core.plans.add_movie(plan.id, movie_id, actor=SYSTEM)
        user = core.auth.create_user(
            UserCreate(email=EMAIL, password=PASSWORD, name="Viewer", role=Role.SUBSCRIBER),
            actor=SYSTEM,
        )
        subscription = core.subscriptions.create(
            SubscriptionCreate(plan_id=plan.id, user_id=user.id), actor=SYSTEM
        )
        payment = PaymentCreate(amount=plan.price, currency="EUR", reference="bench-1")
        core.subscriptions.record_payment(subscription.id, payment, actor=SYSTEM)
        token = core.auth.login(Credentials(email=EMAIL, password=PASSWORD)).access_token
    return Seeded(settings, movie.id, user.id, token)


# --- in process ------------------------------------------------------------------------------


def tampered(signature: str) -> str:
    """``signature`` with its middle character changed."""
    middle = len(signature) // 2
    flipped = "B" if signature[middle] == "A" else "A"
    return signature[:middle] + flipped + signature[middle + 1 :]


def in_process_cases(core: StreamCore, seeded: Seeded) -> dict[str, Callable[[], object]]:
    """Every in-process case, each checked once to do what it is meant to."""
    movie_id, user_id = seeded.movie_id, seeded.user_id
    viewer = core.auth.authenticate(seeded.token).principal
    grant = core.playback.issue(movie_id, actor=viewer)
    key = os.urandom(32)  # the primitives' cases: any key of the generated key's size
    expires = grant.expires
    sig, bad = grant.signature, tampered(grant.signature)
    own = signing.sign(key, movie_id, user_id, expires)
    message = b"streamcore playback v1\n%d\n%d\n%d" % (movie_id, user_id, expires)
    known = hmac.new(key, message, hashlib.sha256).hexdigest()
    root = seeded.settings.media_root

    def refused() -> None:
        try:
            core.playback.open_signed(movie_id, user_id, expires, bad)
        except Exception:
            return
        raise AssertionError("a tampered signature was accepted")

    def bearer_open() -> object:
        principal: Principal = core.auth.authenticate(seeded.token).principal
        return core.playback.open(movie_id, actor=principal)

    cases: dict[str, Callable[[], object]] = {
        "hmac sign": lambda: hmac.new(key, message, hashlib.sha256).hexdigest(),
        "hmac verify": lambda: hmac.compare_digest(
            hmac.new(key, message, hashlib.sha256).hexdigest(), known
        ),
        "signing.sign": lambda: signing.sign(key, movie_id, user_id, expires),
        "signing.is_signed": lambda: signing.is_signed(key, movie_id, user_id, expires, own),
        "find_media": lambda: find_media(root, MEDIA, movie_id=movie_id),
        "movies.get": lambda: core.movies.get(movie_id, actor=SYSTEM),
        "may_watch": lambda: core.entitlements.may_watch(user_id, movie_id),
        "open_signed": lambda: core.playback.open_signed(movie_id, user_id, expires, sig),
        "open_signed refused": refused,
        "authenticate": lambda: core.auth.authenticate(seeded.token),
        "bearer open": bearer_open,
        "issue": lambda: core.playback.issue(movie_id, actor=viewer),
    }
    assert cases["hmac verify"]() is True
    assert cases["signing.is_signed"]() is True
    assert not signing.is_signed(key, movie_id, user_id, expires, tampered(own))
    assert core.entitlements.may_watch(user_id, movie_id)
    for name in ("open_signed", "bearer open", "find_media"):
        assert cases[name]().size == MIB  # type: ignore[attr-defined]
    assert isinstance(cases["issue"](), PlaybackGrant)
    return cases


def measure(cases: dict[str, Callable[[], object]], calls: int, reps: int) -> dict[str, Any]:
    """Median wall and CPU µs per call of each case, the cases run round robin."""
    wall: dict[str, list[float]] = {name: [] for name in cases}
    cpu: dict[str, list[float]] = {name: [] for name in cases}
    for case in cases.values():  # warm: caches, the pool's connection, statements
        for _ in range(min(calls, 200)):
            case()
    for _ in range(reps):
        for name, case in cases.items():
            started, started_cpu = time.perf_counter(), time.process_time()
            for _ in range(calls):
                case()
            wall[name].append((time.perf_counter() - started) / calls * 1e6)
            cpu[name].append((time.process_time() - started_cpu) / calls * 1e6)
    return {
        name: {
            "wall_us": statistics.median(wall[name]),
            "wall_us_min": min(wall[name]),
            "cpu_us": statistics.median(cpu[name]),
        }
        for name in cases
    }


def ratios(figures: dict[str, Any]) -> dict[str, dict[str, float]]:
    """The ratios the README reports, in wall time and in CPU time (less moved by the load)."""
    pairs = {
        "signing.sign / hmac sign": ("signing.sign", "hmac sign"),
        "signing.is_signed / hmac verify": ("signing.is_signed", "hmac verify"),
        "open_signed / bearer open": ("open_signed", "bearer open"),
        "open_signed / authenticate": ("open_signed", "authenticate"),
        "open_signed refused / open_signed": ("open_signed refused", "open_signed"),
        "issue / open_signed": ("issue", "open_signed"),
    }
    out = {
        name: {
            clock: figures[a][f"{clock}_us"] / figures[b][f"{clock}_us"]
            for clock in ("wall", "cpu")
        }
        for name, (a, b) in pairs.items()
    }
    for path in ("open_signed", "bearer open"):  # µs, not a ratio: the check up to the file
        out[f"{path} - find_media (us)"] = {
            clock: figures[path][f"{clock}_us"] - figures["find_media"][f"{clock}_us"]
            for clock in ("wall", "cpu")
        }
    return out


def in_process(seeded: Seeded, calls: int, reps: int) -> dict[str, Any]:
    """The in-process section: figures per case and the ratios."""
    with StreamCore.open(seeded.settings) as core:
        cases = in_process_cases(core, seeded)
        figures = measure(cases, calls, reps)
    log(f"\nin process, {reps} x {calls} calls per case, round robin: median µs per call")
    log(f"{'case':<22}{'wall µs':>10}{'(min)':>9}{'CPU µs':>9}")
    for name, entry in figures.items():
        log(
            f"{name:<22}{entry['wall_us']:>10.2f}{entry['wall_us_min']:>9.2f}"
            f"{entry['cpu_us']:>9.2f}"
        )
    derived = ratios(figures)
    log(f"  {'':<36} {'wall':>8} {'CPU':>8}")
    for name, value in derived.items():
        unit = "" if "(us)" in name else "x"
        log(f"  {name:<36} {value['wall']:8.2f}{unit} {value['cpu']:8.2f}{unit}")
    return {"cases": figures, "ratios": derived}


# --- REST ------------------------------------------------------------------------------------

LUA = """
wrk.method = "{method}"
wrk.path = "{path}"
{headers}
"""


@dataclass
class RestResult:
    """One wrk run of one case."""

    case: str
    round: int
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    cpu_us_per_request: float
    errors: str = ""


def rest_scripts(workdir: Path, seeded: Seeded, grant: PlaybackGrant) -> dict[str, Path]:
    """The wrk Lua scripts: a 1-byte range GET, signed and with the bearer header; the movie.

    Not ``HEAD``: wrk reads a ``HEAD`` answer's ``Content-Length`` as a body to wait for, and
    times out on every request.
    """
    path = f"/api/movie/{seeded.movie_id}/stream"
    signed = f"{path}?" + urlencode(
        {"user": grant.user_id, "expires": grant.expires, "sig": grant.signature}
    )
    bearer = f'wrk.headers["Authorization"] = "Bearer {seeded.token}"'
    one_byte = 'wrk.headers["Range"] = "bytes=0-0"'
    texts = {
        "range signed": LUA.format(method="GET", path=signed, headers=one_byte),
        "range bearer": LUA.format(method="GET", path=path, headers=f"{bearer}\n{one_byte}"),
        # A yardstick, not a peer: the JSON read of the same movie with the same bearer header.
        "movie bearer": LUA.format(
            method="GET", path=f"/api/movie/{seeded.movie_id}", headers=bearer
        ),
    }
    out = {}
    for name, text in texts.items():
        out[name] = workdir / f"{name.replace(' ', '-')}.lua"
        out[name].write_text(text)
    return out


def check_rest(server: Server, seeded: Seeded, grant: PlaybackGrant) -> None:
    """Each case answers as it should before it is timed (200 for HEAD, 206 for one byte)."""
    import httpx

    url = f"{server.url}/api/movie/{seeded.movie_id}/stream"
    query: dict[str, str | int] = {
        "user": grant.user_id,
        "expires": grant.expires,
        "sig": grant.signature,
    }
    bearer = {"Authorization": f"Bearer {seeded.token}"}
    assert httpx.head(url, params=query).status_code == 200
    assert httpx.head(url, headers=bearer).status_code == 200
    one = httpx.get(url, params=query, headers={"Range": "bytes=0-0"})
    assert (one.status_code, len(one.content)) == (206, 1)
    one = httpx.get(url, headers={**bearer, "Range": "bytes=0-0"})
    assert (one.status_code, len(one.content)) == (206, 1)
    assert httpx.head(url, params={**query, "sig": tampered(grant.signature)}).status_code == 401


def rest(workdir: Path, seeded: Seeded, args: argparse.Namespace) -> dict[str, Any]:
    """The REST section: wrk against ``streamcore serve``, signed URL against bearer header."""
    with StreamCore.open(seeded.settings) as core:
        viewer = core.auth.authenticate(seeded.token).principal
        grant = core.playback.issue(seeded.movie_id, actor=viewer)
    port = free_port()
    env = base_env(seeded.settings.database_url)
    env["STREAMCORE_MEDIA_ROOT"] = str(seeded.settings.media_root)
    argv = [STREAMCORE, "serve", "--host", "127.0.0.1", "--port", str(port)]
    server = start("streamcore", argv, env, port, workdir)
    results: list[RestResult] = []
    try:
        check_rest(server, seeded, grant)
        scripts = rest_scripts(workdir, seeded, grant)
        names = list(scripts)
        for name in names:  # warm-up
            wrk(server, scripts[name], duration=2, connections=4)
        for number in range(args.rounds):
            shift = number % len(names)
            for name in names[shift:] + names[:shift]:
                figures = wrk(
                    server, scripts[name], duration=args.duration, connections=args.connections
                )
                results.append(RestResult(name, number, **figures))
                log(f"round {number + 1} {name:<13} {figures}")
    finally:
        server.stop()
    summary: dict[str, Any] = {}
    log(f"\n{'case':<14}{'req/s':>8}{'p50 ms':>8}{'p99 ms':>8}{'CPU µs/req':>11}")
    for name in names:
        rows = [r for r in results if r.case == name]
        summary[name] = {
            "rps": statistics.median(r.rps for r in rows),
            "p50_ms": statistics.median(r.p50_ms for r in rows),
            "p99_ms": statistics.median(r.p99_ms for r in rows),
            "cpu_us_per_request": statistics.median(r.cpu_us_per_request for r in rows),
            "errors": sorted({r.errors for r in rows if r.errors}),
        }
        entry = summary[name]
        log(
            f"{name:<14}{entry['rps']:>8.0f}{entry['p50_ms']:>8.2f}{entry['p99_ms']:>8.2f}"
            f"{entry['cpu_us_per_request']:>11.0f}  {' '.join(entry['errors'])}"
        )
    compared: dict[str, Any] = {}
    for label, (top, bottom) in {
        "range signed / range bearer": ("range signed", "range bearer"),
        "range bearer / movie bearer": ("range bearer", "movie bearer"),
    }.items():
        rps, cpu = [], []
        for number in range(args.rounds):
            a = next(r for r in results if r.case == top and r.round == number)
            b = next(r for r in results if r.case == bottom and r.round == number)
            rps.append(a.rps / b.rps)
            cpu.append(a.cpu_us_per_request / b.cpu_us_per_request)
        compared[label] = {
            "rps_ratio": statistics.median(rps),
            "rps_ratios": rps,
            "cpu_ratio": statistics.median(cpu),
        }
        shown = ", ".join(f"{x:.2f}" for x in rps)
        log(
            f"{label}: requests/s {compared[label]['rps_ratio']:.2f}x ({shown});"
            f" server CPU per request {compared[label]['cpu_ratio']:.2f}x"
        )
    return {"results": [asdict(r) for r in results], "summary": summary, "ratios": compared}


# --- the run ---------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Seed, measure in process, then through ``streamcore serve``; print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--movies", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=2000, help="calls per in-process block")
    parser.add_argument("--reps", type=int, default=7, help="in-process blocks per case")
    parser.add_argument("--rounds", type=int, default=3, help="REST rounds")
    parser.add_argument("--duration", type=int, default=8, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--skip-rest", action="store_true", help="in process only")
    parser.add_argument("--json", action="store_true", help="JSON on stdout")
    args = parser.parse_args(argv)
    if not args.skip_rest and shutil.which("wrk") is None:
        log(WRK_HINT)
        return 2
    info: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": git_commit(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "loadavg_start": load_average(),
    }
    log(f"{info['date']}  commit {info['commit']}  load {info['loadavg_start']}")
    out: dict[str, Any] = {"info": info, "args": vars(args)}
    with tempfile.TemporaryDirectory(prefix="bench-playback-") as tmp:
        workdir = Path(tmp)
        seeded = seed(workdir, args.movies)
        out["in_process"] = in_process(seeded, args.calls, args.reps)
        info["loadavg_after_in_process"] = load_average()
        if not args.skip_rest:
            out["rest"] = rest(workdir, seeded, args)
    info["loadavg_end"] = load_average()
    log(
        f"load after the in-process section {info['loadavg_after_in_process']}, at the end "
        f"{info['loadavg_end']}"
    )
    if args.json:
        print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
