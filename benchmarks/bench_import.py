"""Bulk import on SQLite against a plain csv + sqlite3 + pydantic script, in one run.

    .venv/bin/python benchmarks/bench_import.py [--rows 100000] [--runs 7] [--memory-rows 200000]
                                                [--json] [--keep] [--profile]

Every measured import runs in a subprocess of its own on a fresh copy of one empty, migrated
database, so each has its own peak RSS (the child's ``VmHWM``, which it reports as it exits)
and CPU time. One round runs, in turn:

``reference``  ``benchmarks/import_reference.py DB CSV`` - the plain peer, same write set
               (``movies`` and all its indexes, ``movie_genres``, ``movie_countries``) and the
               same rules, checked by a pydantic model of its own;
``service``    ``StreamCore.open(url).movies.import_movies(read_rows(csv), actor=SYSTEM)``;
``cli``        ``streamcore --database-url sqlite:///DB movie import CSV``.

The reference and the service each time themselves, wall and CPU, from opening the database to
the commit (interpreter start-up and imports excluded); the CLI and the reference are also
compared end to end (wall time of the whole process). Ratios are taken per round (the runs of
one round see the same machine load) and the median over rounds is reported; target >= 0.8x.
On a shared machine the CPU-time ratio is the steadier of the two.

The memory section imports ``--memory-rows`` rows once through the service and the CLI (and
the reference, for comparison) and reports each child's peak RSS; target < 200 MB. ``--profile``
runs one service import under cProfile instead and prints where the time goes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench_catalogue import clean_env, console_script, generate_csv, log, machine_info
from support import load_average

HERE = Path(__file__).resolve().parent
RATIO_MIN = 0.8
PEAK_MAX_MB = 200


# --------------------------------------------------------------------------- workers


def service_worker(db: Path, csv_path: Path, profile: bool) -> int:
    """Import ``csv_path`` through ``MovieService.import_movies``; print rows and seconds."""
    import streamcore.storage.sql.storage  # noqa: F401  # imported lazily; the reference's imports are not timed either
    from streamcore import StreamCore
    from streamcore.auth.permissions import SYSTEM
    from streamcore.movies.importer import read_rows

    started, cpu = time.perf_counter(), time.process_time()
    profiler = None
    if profile:
        import cProfile

        profiler = cProfile.Profile()
        profiler.enable()
    with StreamCore.open(f"sqlite:///{db}") as core:
        ids = core.movies.import_movies(read_rows(csv_path), actor=SYSTEM)
    seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
    if profiler is not None:
        import pstats

        profiler.disable()
        stats = pstats.Stats(profiler, stream=sys.stderr).sort_stats("tottime")
        stats.print_stats(35)
        stats.sort_stats("cumulative").print_stats(45)
    print(json.dumps({"rows": len(ids), "seconds": seconds, "import_cpu_s": cpu}))
    return 0


# --------------------------------------------------------------------------- runs


# Linux's ru_maxrss of a child starts at its parent's peak (it is carried over at fork and
# exec), so each child reports its own high-water mark (VmHWM: this process image only) as it
# exits. The script runs under runpy, as ``python script args`` would run it.
PEAK_HOOK = """
import atexit, runpy, sys
def _peak():
    status = open("/proc/self/status").read()
    print("peak_kib", status.split("VmHWM:")[1].split()[0], file=sys.stderr)
atexit.register(_peak)
sys.argv = sys.argv[1:]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


def run_child(argv: list[str], env: dict[str, str], workdir: Path) -> dict[str, Any]:
    """Run the script ``argv[0]`` with Python; wall and CPU seconds, peak RSS, its JSON."""
    out_path, err_path = workdir / "child.out", workdir / "child.err"
    started = time.perf_counter()
    with out_path.open("w") as out_file, err_path.open("w") as err_file:
        command = [sys.executable, "-c", PEAK_HOOK, *argv]
        proc = subprocess.Popen(command, env=env, stdout=out_file, stderr=err_file)
        _, status, usage = os.wait4(proc.pid, 0)  # reaped here: this child's own CPU time
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    out, err = out_path.read_text(), err_path.read_text()
    if proc.returncode != 0:
        sys.exit(f"{' '.join(argv)} failed ({proc.returncode}):\n{out}{err}")
    *rest, peak = err.rstrip().splitlines()
    if rest:
        log("\n".join(rest))
    result: dict[str, Any] = {
        "wall_s": wall,
        "cpu_s": usage.ru_utime + usage.ru_stime,
        "peak_mb": int(peak.split()[1]) / 1024,
    }
    last = out.strip().splitlines()[-1] if out.strip() else ""
    if last.startswith("{"):
        result.update(json.loads(last))
    return result


class Runner:
    """Fresh databases copied from one migrated template, and the three kinds of import."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.env = clean_env()
        self.template = workdir / "template.db"
        self._count = 0
        from streamcore import StreamCore

        StreamCore.open(f"sqlite:///{self.template}").close()  # migrated, empty

    def fresh_db(self) -> Path:
        """A copy of the empty template (the WAL was checkpointed on close)."""
        self._count += 1
        db = self.workdir / f"run-{self._count}.db"
        shutil.copyfile(self.template, db)
        return db

    def run(self, kind: str, csv_path: Path, *extra: str) -> dict[str, Any]:
        """One import of ``csv_path`` by ``kind`` on a fresh database."""
        db = self.fresh_db()
        if kind == "reference":
            argv = [str(HERE / "import_reference.py"), str(db), str(csv_path)]
        elif kind == "service":
            argv = [str(Path(__file__)), "--worker", str(db), str(csv_path)]
        else:
            url = f"sqlite:///{db}"
            argv = [str(console_script()), "--database-url", url, "movie", "import", str(csv_path)]
        result = run_child([*argv, *extra], self.env, self.workdir)
        for path in (db, db.with_name(db.name + "-wal"), db.with_name(db.name + "-shm")):
            path.unlink(missing_ok=True)
        return result


def bench_speed(runner: Runner, csv_path: Path, rows: int, runs: int) -> dict[str, Any]:
    """``runs`` rounds of reference, service and CLI imports; rates and per-round ratios."""
    samples: dict[str, list[dict[str, Any]]] = {"reference": [], "service": [], "cli": []}
    ratios: list[float] = []
    cli_ratios: list[float] = []
    cpu_ratios: list[float] = []
    for round_ in range(runs):
        for kind in samples:
            log(f"  round {round_ + 1}/{runs}: {kind} ...")
            result = runner.run(kind, csv_path)
            if "rows" in result and result["rows"] != rows:
                sys.exit(f"{kind} imported {result['rows']} rows, not {rows}")
            samples[kind].append(result)
        ref, svc, cli = (samples[k][-1] for k in ("reference", "service", "cli"))
        ratios.append(ref["seconds"] / svc["seconds"])
        cli_ratios.append(ref["wall_s"] / cli["wall_s"])
        cpu_ratios.append(ref["import_cpu_s"] / svc["import_cpu_s"])
    summary: dict[str, Any] = {"rows": rows, "runs": runs, "samples": samples}
    for kind, key in (("reference", "seconds"), ("service", "seconds"), ("cli", "wall_s")):
        median = statistics.median(s[key] for s in samples[kind])
        summary[f"{kind}_rows_per_s"] = rows / median
    ref_wall = statistics.median(s["wall_s"] for s in samples["reference"])
    summary["reference_end_to_end_rows_per_s"] = rows / ref_wall
    summary["ratio"] = statistics.median(ratios)
    summary["ratio_cli_end_to_end"] = statistics.median(cli_ratios)
    summary["ratio_cpu"] = statistics.median(cpu_ratios)
    summary["ratios"] = ratios
    summary["cpu_ratios"] = cpu_ratios
    return summary


def bench_memory(runner: Runner, csv_path: Path, rows: int) -> dict[str, Any]:
    """Peak RSS of one import of ``rows`` rows by each kind, and of an import of one row."""
    one = runner.workdir / "one.csv"
    one.write_text("title,year\nAlien,1979\n", encoding="utf-8")
    peaks: dict[str, Any] = {"rows": rows}
    for kind in ("service", "cli", "reference"):
        log(f"  {rows:,} rows: {kind} ...")
        result = runner.run(kind, csv_path)
        peaks[f"{kind}_peak_mb"] = result["peak_mb"]
        peaks[f"{kind}_wall_s"] = result["wall_s"]
        peaks[f"{kind}_one_row_peak_mb"] = runner.run(kind, one)["peak_mb"]
    return peaks


# --------------------------------------------------------------------------- report


def report(
    info: dict[str, Any], speed: dict[str, Any] | None, memory: dict[str, Any] | None
) -> str:
    """The results as a small table."""
    lines = [
        f"commit {info['commit']}, Python {info['python']}, SQLite {info['sqlite']}, "
        f"{info['nproc']} CPUs, load {info['loadavg_start']} -> {info['loadavg_end']}"
    ]
    if speed:
        n = speed["rows"]
        lines += [
            f"speed: {n:,} rows, {speed['runs']} rounds (medians)",
            f"  reference (csv + sqlite3 + pydantic)  {speed['reference_rows_per_s']:>9,.0f} "
            "rows/s",
            f"  MovieService.import_movies            {speed['service_rows_per_s']:>9,.0f} rows/s",
            f"  ratio service / reference             {speed['ratio']:>9.2f}x  "
            f"(target >= {RATIO_MIN}x: {'PASS' if speed['ratio'] >= RATIO_MIN else 'MISS'}; "
            f"rounds {', '.join(f'{r:.2f}' for r in speed['ratios'])})",
            f"  ratio in CPU time                     {speed['ratio_cpu']:>9.2f}x  "
            f"(rounds {', '.join(f'{r:.2f}' for r in speed['cpu_ratios'])})",
            f"  CLI end to end                        {speed['cli_rows_per_s']:>9,.0f} rows/s "
            f"(reference end to end {speed['reference_end_to_end_rows_per_s']:,.0f}: "
            f"{speed['ratio_cli_end_to_end']:.2f}x)",
        ]
    if memory:
        verdict = max(memory["service_peak_mb"], memory["cli_peak_mb"]) < PEAK_MAX_MB
        lines += [
            f"memory: peak RSS of one import of {memory['rows']:,} rows (of a 1-row import)",
            *(
                f"  {kind:<10} {memory[f'{kind}_peak_mb']:>7.1f} MB "
                f"({memory[f'{kind}_one_row_peak_mb']:.1f} MB), {memory[f'{kind}_wall_s']:.1f} s"
                for kind in ("service", "cli", "reference")
            ),
            f"  target < {PEAK_MAX_MB} MB: {'PASS' if verdict else 'MISS'}",
        ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Parse options, run the sections, print the table (and JSON with --json)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the speed runs")
    parser.add_argument("--runs", type=int, default=7, help="rounds of the speed runs")
    parser.add_argument("--memory-rows", type=int, default=200_000, help="0: no memory run")
    parser.add_argument("--profile", action="store_true", help="one service import, profiled")
    parser.add_argument("--json", action="store_true", help="JSON on stdout (the table on stderr)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--worker", nargs=2, metavar=("DB", "CSV"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        return service_worker(Path(args.worker[0]), Path(args.worker[1]), args.profile)

    info = machine_info()
    workdir = Path(tempfile.mkdtemp(prefix="streamcore-bench-import-"))
    speed = memory = None
    try:
        runner = Runner(workdir)
        csv_path = workdir / "movies.csv"
        log(f"generating {args.rows:,} movies ...")
        generate_csv(csv_path, args.rows)
        if args.profile:
            runner.run("service", csv_path, "--profile")
            return 0
        if args.runs:
            speed = bench_speed(runner, csv_path, args.rows, args.runs)
        if args.memory_rows:
            big = workdir / "movies-big.csv"
            log(f"generating {args.memory_rows:,} movies ...")
            generate_csv(big, args.memory_rows)
            memory = bench_memory(runner, big, args.memory_rows)
    finally:
        if args.keep:
            log(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    info["loadavg_end"] = load_average()
    table = report(info, speed, memory)
    if args.json:
        log(table)
        print(json.dumps({"machine": info, "speed": speed, "memory": memory}, indent=2))
    else:
        print(table)
    return 0


if __name__ == "__main__":
    sys.exit(main())
