"""nginx's media offload against nginx serving the file itself, and against streamcore alone.

    .venv/bin/python benchmarks/bench_offload.py [--size-mib 1024] [--runs 5]
        [--range-seconds 5] [--json]

One run makes a temporary directory (readable by nginx's workers) with a ``--size-mib`` file of
random bytes, a SQLite database holding an editor and a movie whose media is that file, and
starts, all on 127.0.0.1 and stopped by PID:

- ``streamcore serve`` with ``STREAMCORE_MEDIA_OFFLOAD=nginx`` (one worker), behind nginx run
  from docs/deploy/nginx.conf (as tests/e2e/test_nginx.py runs it) to which one plain location
  is added: ``/plain/``, the same media root with the internal location's file directives but
  no ``internal`` and no check, so the two differ only by streamcore's answer;
- ``streamcore serve`` with offload ``none`` (one worker), asked directly: the bytes sent by
  streamcore itself.

Three ways to get the same file: ``offload`` (nginx -> streamcore checks the bearer token and
entitlement -> X-Accel-Redirect -> nginx sendfile), ``plain`` (nginx sendfile, no check),
``streamcore`` (``MediaResponse``). Then ``--runs`` rounds of one whole-file ``curl -o
/dev/null`` download each, rotating which goes first, each checked to deliver every byte; MB/s
(10^6 bytes per second: median, min, max) and time to the first byte, the offload / plain ratio
(of the medians, and the median of each round's ratio: goal >= 0.9x), and the CPU
seconds per GiB of nginx (its workers) and of streamcore. With wrk, ``--range-seconds`` of
64 KiB range requests on 4 connections to offload and plain: what a seeking player pays per
request for the check.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from support import cpu_seconds, free_port, git_commit, load_average

from streamcore import StreamCore
from streamcore.auth.models import UserCreate
from streamcore.auth.permissions import SYSTEM, Role
from streamcore.config import Settings
from streamcore.movies.models import MovieCreate

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # tests.e2e.nginx: the shipped configuration, run the test's way
from tests.e2e.nginx import NGINX, configuration, readable_dir, start_nginx  # noqa: E402
from tests.e2e.server import start_server  # noqa: E402

PASSWORD = "benchmark password 1"
MIB = 1024 * 1024
PLAIN = """
        # bench_offload.py only: the same files, served with no check.
        location /plain/ {{
            alias {media}/;
            disable_symlinks on from=$document_root;
            add_header X-Content-Type-Options nosniff always;
        }}
"""


@dataclass
class Way:
    """One way to fetch the file: a name, its URL, its headers."""

    name: str
    url: str
    headers: dict[str, str]


def make_file(path: Path, size: int) -> None:
    with path.open("wb") as file:
        rng = random.Random(1)
        for _ in range(0, size, 16 * MIB):
            file.write(rng.randbytes(min(16 * MIB, size - file.tell())))
    path.chmod(0o644)


def prepare(base: Path, size: int) -> tuple[Path, str]:
    media = readable_dir(base / "media")
    make_file(media / "big.mp4", size)
    url = f"sqlite:///{base / 'bench.db'}"
    with StreamCore.open(Settings(database_url=url, media_root=media)) as core:
        core.auth.create_user(
            UserCreate(email="ed@example.com", password=PASSWORD, name="Ed", role=Role.EDITOR),
            actor=SYSTEM,
        )
        core.movies.create(MovieCreate(title="Big", year=2020, media_path="big.mp4"), actor=SYSTEM)
    return media, url


def nginx_workers(master: int) -> list[int]:
    """The PIDs whose parent is nginx's master."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == master:
                found.append(int(entry.name))
    return found


@contextmanager
def deployment(base: Path, media: Path, url: str) -> Iterator[dict[str, Any]]:
    """Both streamcore servers and nginx, up; stopped by PID afterwards."""
    env = {"STREAMCORE_DATABASE_URL": url, "STREAMCORE_MEDIA_ROOT": str(media)}
    offloaded = start_server(
        readable_dir(base / "offload"), env={**env, "STREAMCORE_MEDIA_OFFLOAD": "nginx"}
    )
    direct = start_server(readable_dir(base / "direct"), env=env)
    nginx = None
    try:
        port = free_port()
        config = configuration(
            port=port,
            upstreams=[offloaded.port],
            media_root=media,
            prefix=base / "nginx",
            extra_locations=PLAIN.format(media=media.resolve()),
        )
        nginx = start_nginx(base / "nginx", config, port)
        login = httpx.post(
            f"{direct.url}/api/auth/login",
            json={"email": "ed@example.com", "password": PASSWORD},
            timeout=60,
        )
        login.raise_for_status()
        bearer = {"Authorization": f"Bearer {login.json()['access_token']}"}
        yield {
            "ways": [
                Way("offload", f"{nginx.url}/api/movie/1/stream", bearer),
                Way("plain", f"{nginx.url}/plain/big.mp4", {}),
                Way("streamcore", f"{direct.url}/api/movie/1/stream", bearer),
            ],
            "nginx": nginx,
            "offloaded": offloaded,
            "direct": direct,
        }
    finally:
        if nginx is not None:
            nginx.stop()
        offloaded.stop()
        direct.stop()


def download(way: Way, size: int, workdir: Path) -> tuple[float, float]:
    """One whole-file download by curl: (seconds in all, to the first byte). Every byte counts."""
    header_file = workdir / "headers.txt"  # the token stays out of the process list
    header_file.write_text("".join(f"{k}: {v}\n" for k, v in way.headers.items()))
    args = ["curl", "-sS", "-f", "-o", "/dev/null", "-H", f"@{header_file}"]
    args += ["-w", "%{size_download} %{time_total} %{time_starttransfer}", way.url]
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    got, seconds, first = done.stdout.split()
    if int(got) != size:
        raise RuntimeError(f"{way.name}: {got} bytes of {size}")
    return float(seconds), float(first)


def ranges(way: Way, seconds: int) -> dict[str, float] | None:
    """wrk: 64 KiB range requests on 4 connections; requests/s and latency, or None."""
    wrk = shutil.which("wrk")
    if wrk is None or seconds <= 0:
        return None
    args = [wrk, "-t", "2", "-c", "4", "-d", f"{seconds}s", "--latency"]
    args += ["-H", "Range: bytes=1048576-1114111"]
    for name, value in way.headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, way.url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx" in out:
        raise RuntimeError(f"{way.name}: wrk saw errors:\n{out}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = re.search(r"50%\s+([\d.]+)(us|ms|s)", out)
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", out)
    return {"requests_s": round(rate), "p50_ms": _ms(p50), "p99_ms": _ms(p99)}


def _ms(found: re.Match[str] | None) -> float:
    if found is None:
        return float("nan")
    value, unit = float(found.group(1)), found.group(2)
    return round(value * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit], 2)


def run(args: argparse.Namespace) -> dict[str, Any]:
    if NGINX is None or shutil.which("curl") is None:
        raise SystemExit("needs nginx and curl")
    size = args.size_mib * MIB
    base = readable_dir(Path(tempfile.mkdtemp(prefix="bench-offload-")))
    try:
        media, url = prepare(base, size)
        with deployment(base, media, url) as up:
            ways: list[Way] = up["ways"]
            nginx, offloaded, direct = up["nginx"], up["offloaded"], up["direct"]
            for way in ways:  # warm: the page cache, the token lookup, the code paths
                download(way, size, base)
            workers = nginx_workers(nginx.process.pid)

            def cpu() -> dict[str, float]:
                return {
                    "nginx": sum(cpu_seconds(pid) for pid in workers),
                    "streamcore (offload)": cpu_seconds(offloaded.process.pid),
                    "streamcore (direct)": cpu_seconds(direct.process.pid),
                }

            seconds: dict[str, list[float]] = {way.name: [] for way in ways}
            first_byte: dict[str, list[float]] = {way.name: [] for way in ways}
            cpu_by_way: dict[str, dict[str, float]] = {way.name: {} for way in ways}
            for i in range(args.runs):
                shift = i % len(ways)
                for way in ways[shift:] + ways[:shift]:
                    before = cpu()
                    total, first = download(way, size, base)
                    seconds[way.name].append(total)
                    first_byte[way.name].append(first)
                    after = cpu()
                    for who, value in after.items():
                        cpu_by_way[way.name][who] = (
                            cpu_by_way[way.name].get(who, 0.0) + value - before[who]
                        )
            range_results = {way.name: ranges(way, args.range_seconds) for way in ways[:2]}
    finally:
        shutil.rmtree(base, ignore_errors=True)
    gib = size / 1024**3 * args.runs
    summary = {}
    for name, values in seconds.items():
        rates = [size / s / 1e6 for s in values]
        summary[name] = {
            "median_mb_s": round(statistics.median(rates), 1),
            "min_mb_s": round(min(rates), 1),
            "max_mb_s": round(max(rates), 1),
            "first_byte_ms": round(statistics.median(first_byte[name]) * 1000, 1),
            "cpu_s_per_gib": {k: round(v / gib, 3) for k, v in cpu_by_way[name].items()},
        }
    # Each round's two downloads ran back to back: their ratio is less at the mercy of the
    # machine's other load than the ratio of two medians.
    paired = statistics.median(
        p / o for p, o in zip(seconds["plain"], seconds["offload"], strict=True)
    )
    ratio = summary["offload"]["median_mb_s"] / summary["plain"]["median_mb_s"]
    return {
        "machine": {
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "load_before": load_average(),
            "nginx": subprocess.run([NGINX, "-v"], capture_output=True, text=True).stderr.strip(),
        },
        "commit": git_commit(),
        "size_bytes": size,
        "runs": args.runs,
        "results": summary,
        "ratio_offload_plain": round(ratio, 2),
        "ratio_offload_plain_paired": round(paired, 2),
        "ratio_streamcore_plain": round(
            summary["streamcore"]["median_mb_s"] / summary["plain"]["median_mb_s"], 2
        ),
        "ranges_64k": range_results,
        "targets_met": {"offload_0_9_of_plain": paired >= 0.9},
    }


def render(out: dict[str, Any]) -> str:
    lines = [
        f"{out['size_bytes'] // MIB} MiB random file, {out['runs']} rounds (rotating order) of "
        f"one curl download each, commit {out['commit']}, load {out['machine']['load_before']}, "
        f"{out['machine']['nginx']}",
        f"{'way':<12}{'median MB/s':>12}{'min':>8}{'max':>8}{'1st byte ms':>12}   CPU s/GiB",
    ]
    for name, r in out["results"].items():
        cpu = ", ".join(f"{k} {v}" for k, v in r["cpu_s_per_gib"].items())
        lines.append(
            f"{name:<12}{r['median_mb_s']:>12}{r['min_mb_s']:>8}{r['max_mb_s']:>8}"
            f"{r['first_byte_ms']:>12}   {cpu}"
        )
    lines.append(
        f"ratio offload / plain: {out['ratio_offload_plain']}x of the medians, "
        f"{out['ratio_offload_plain_paired']}x round by round (median; goal >= 0.9x)"
    )
    lines.append(f"ratio streamcore / plain: {out['ratio_streamcore_plain']}x")
    for name, r in (out["ranges_64k"] or {}).items():
        if r:
            lines.append(
                f"64 KiB ranges, {name}: {r['requests_s']} requests/s, p50 {r['p50_ms']} ms, "
                f"p99 {r['p99_ms']} ms"
            )
    lines.append(f"targets met: {out['targets_met']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; print the table (and, with ``--json``, JSON on stdout)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mib", type=int, default=1024, help="file size in MiB")
    parser.add_argument("--runs", type=int, default=5, help="rounds of one download per way")
    parser.add_argument("--range-seconds", type=int, default=5, help="wrk seconds (0: skip)")
    parser.add_argument("--json", action="store_true", help="JSON on stdout, the table on stderr")
    args = parser.parse_args(argv)
    started = time.monotonic()
    out = run(args)
    out["wall_seconds"] = round(time.monotonic() - started)
    if args.json:
        print(render(out), file=sys.stderr)
        print(json.dumps(out, indent=2))
    else:
        print(render(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
