"""`make bench EVENTS=<n>`: the nightly job against the floor, at scale, in one invocation.

Generates (once, cached per events, days, seed and generator version under data/bench/) DAYS + 1
days of landing files with `consent-ledger generate`, then REPEAT times:

1. floor: benchmarks/floor.py on days 1..DAYS (read every file once, parse the consent fields,
   sort by contact and time, latest per contact x purpose x channel);
2. full: `consent-ledger run --full-refresh` on a fresh warehouse, days 1..DAYS landed, as of day DAYS;
3. incremental: day DAYS + 1 landed (about 1% more events at 100 days), `run` as of the next day;
4. empty: nothing new landed, `run` as of the day after;
5. export: `consent-ledger export` of the newsletter audience for CANDIDATES candidate rows (80%
   known contacts in mixed case or padded, 15% unknown, 5% not an address; extra CRM columns).

Each step runs as a child process. CPU seconds are user + sys of the child and every descendant it
waited for (os.wait4), so they count dbt and DuckDB threads too and do not depend on how busy the
shared machine is; wall seconds are printed but do depend on it. Memory: the kernel's exact peak of
the largest single process in the tree (ru_maxrss from wait4) and the peak of the whole tree's RSS
summed, sampled from /proc every 0.2 s; peak_rss_mb is the larger of the two.

Writes benchmarks/results/latest.json (see benchmarks/results/README.md) and prints the table; keeps
each step's log and the full run's dbt run_results.json beside it.

    python benchmarks/bench.py --events 1000000 [--days 100] [--seed 42] [--repeat 1]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
RESULTS = REPO / "benchmarks" / "results"
# Bump when the generator's output changes, so cached data is not reused.
GENERATOR_VERSION = 2
START = date(2026, 1, 1)
PAGE_KIB = os.sysconf("SC_PAGE_SIZE") // 1024


@dataclass
class Measurement:
    """One child process tree: CPU and wall seconds, memory, its exit code and log."""

    cpu_s: float
    wall_s: float
    rss_largest_mb: float
    rss_tree_mb: float
    returncode: int
    log: Path

    @property
    def peak_mb(self) -> float:
        return max(self.rss_largest_mb, self.rss_tree_mb)


@dataclass
class Step:
    name: str
    runs: list[Measurement] = field(default_factory=list)

    def cpu(self) -> list[float]:
        return [m.cpu_s for m in self.runs]

    def wall(self) -> list[float]:
        return [m.wall_s for m in self.runs]

    def summary(self) -> dict:
        cpu, wall = self.cpu(), self.wall()
        return {
            "cpu_s_median": round(statistics.median(cpu), 2), "cpu_s_min": round(min(cpu), 2),
            "cpu_s_max": round(max(cpu), 2), "wall_s_median": round(statistics.median(wall), 2),
            "wall_s_min": round(min(wall), 2), "wall_s_max": round(max(wall), 2),
            "peak_rss_mb": round(max(m.peak_mb for m in self.runs), 1),
            "rss_largest_process_mb": round(max(m.rss_largest_mb for m in self.runs), 1),
            "rss_tree_sampled_mb": round(max(m.rss_tree_mb for m in self.runs), 1),
            "runs": len(self.runs),
            "phases": run_phases(self.runs[0].log) if self.name in ("full", "incremental", "empty") else {},
        }


def _children() -> dict[int, list[int]]:
    """ppid -> pids, from /proc."""
    tree: dict[int, list[int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            with open(f"/proc/{entry.name}/stat", encoding="ascii", errors="replace") as handle:
                stat = handle.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def _tree_rss_kib(root: int) -> int:
    """Resident memory of `root` and all its descendants right now."""
    tree, total, stack = _children(), 0, [root]
    while stack:
        pid = stack.pop()
        stack.extend(tree.get(pid, []))
        try:
            with open(f"/proc/{pid}/statm", encoding="ascii") as handle:
                total += int(handle.read().split()[1]) * PAGE_KIB
        except (OSError, IndexError, ValueError):
            continue
    return total


def measure(cmd: list[str], log: Path, env: dict[str, str]) -> Measurement:
    """Run one child and measure its whole process tree; its output goes to `log`, each line
    prefixed with the wall seconds since the start (so phases can be read off the log)."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("w") as out:
        out.write("$ " + " ".join(cmd) + "\n")
        out.flush()
        start = time.perf_counter()
        child = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        peak = [0]
        done = threading.Event()

        def sample() -> None:
            while not done.wait(0.2):
                peak[0] = max(peak[0], _tree_rss_kib(child.pid))

        def copy() -> None:
            assert child.stdout is not None
            for raw in child.stdout:
                out.write(f"[{time.perf_counter() - start:8.1f}] {raw.decode('utf-8', 'replace')}")

        threads = [threading.Thread(target=sample, daemon=True), threading.Thread(target=copy, daemon=True)]
        for thread in threads:
            thread.start()
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
        done.set()
        for thread in threads:
            thread.join()
        child.returncode = os.waitstatus_to_exitcode(status)
        out.write(f"[{wall:8.1f}] exit {child.returncode}\n")
    return Measurement(cpu_s=usage.ru_utime + usage.ru_stime, wall_s=wall,
                       rss_largest_mb=usage.ru_maxrss / 1024, rss_tree_mb=peak[0] / 1024,
                       returncode=child.returncode, log=log)


def run_phases(log: Path) -> dict[str, float]:
    """Wall seconds of a nightly run's phases, from its timestamped log: before dbt build (imports,
    dbt parse, Dagster start), dbt build, and after it (Great Expectations gate, publish, report)."""
    marks: dict[str, float] = {}
    end = 0.0
    for line in log.read_text().splitlines():
        if not line.startswith("["):
            continue
        at = float(line[1:line.index("]")])
        end = at
        # the run's progress lines: "- consent_ledger_dbt ..." then "- consent_ledger_dbt done (...)"
        if "- consent_ledger_dbt ..." in line and "dbt_start" not in marks:
            marks["dbt_start"] = at
        if re.search(r"- consent_ledger_dbt (done|FAILED)", line):
            marks["dbt_end"] = at
    if "dbt_start" not in marks or "dbt_end" not in marks:
        return {}
    return {"before_dbt_wall_s": round(marks["dbt_start"], 1),
            "dbt_build_wall_s": round(marks["dbt_end"] - marks["dbt_start"], 1),
            "after_dbt_wall_s": round(end - marks["dbt_end"], 1)}


def child_env(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    # the data was just generated: nothing is in flight, so no file waits for the settle time
    env.setdefault("CONSENT_LEDGER_SETTLE_SECONDS", "0")
    env.update(PYTHONPATH=str(REPO), DBT_SEND_ANONYMOUS_USAGE_STATS="false", GX_ANALYTICS_ENABLED="false",
               DAGSTER_DISABLE_TELEMETRY="1", PYTHONUNBUFFERED="1", **extra)
    return env


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "orchestration.cli", *args]


def count_lines(files: list[Path]) -> tuple[int, int]:
    """Lines and bytes of the given files."""
    lines = size = 0
    for path in files:
        with path.open("rb") as handle:
            while chunk := handle.read(1 << 22):
                lines += chunk.count(b"\n")
                size += len(chunk)
    return lines, size


def generate(data: Path, contacts: int, days: int, seed: int) -> tuple[Path, float]:
    """DAYS + 1 days under data/all (cached); returns the folder and the generator's CPU seconds."""
    landing, marker = data / "all", data / "generated.json"
    if marker.exists():
        return landing, json.loads(marker.read_text())["cpu_s"]
    shutil.rmtree(landing, ignore_errors=True)
    m = measure(cli("generate", "--out", str(landing), "--contacts", str(contacts), "--days", str(days + 1),
                    "--seed", str(seed), "--start-date", START.isoformat()), data / "generate.log", child_env())
    if m.returncode != 0:
        sys.exit(f"generate failed, see {m.log}")
    marker.write_text(json.dumps({"cpu_s": m.cpu_s, "wall_s": m.wall_s, "peak_rss_mb": m.peak_mb}))
    return landing, m.cpu_s


def link_days(source: Path, target: Path, days: list[date]) -> list[Path]:
    """Hard-link the files of these extract days into a landing folder (no copy, same bytes)."""
    linked = []
    wanted = {d.isoformat() for d in days}
    for path in sorted(source.glob("*/*/*")):
        if path.parent.name in wanted:
            dest = target / path.relative_to(source)
            dest.parent.mkdir(parents=True, exist_ok=True)
            os.link(path, dest)
            linked.append(dest)
    return linked


def count_events(warehouse: Path) -> int | None:
    import duckdb

    try:
        with duckdb.connect() as con:
            con.execute(f"attach '{warehouse}' as w (read_only)")
            return con.execute("select count(*) from w.consent.consent_events").fetchone()[0]
    except duckdb.Error:
        return None


def build_candidates(warehouse: Path, path: Path, rows: int) -> None:
    """A CRM-like candidate list from the published contacts (same mix as export_benchmark.py)."""
    import duckdb

    with duckdb.connect() as con:
        con.execute(f"attach '{warehouse}' as w (read_only)")
        con.execute("create temp table known as select row_number() over (order by email) - 1 as k, email "
                    "from w.consent.contacts where email is not null")
        known = con.execute("select count(*) from known").fetchone()[0]
        con.execute(
            f"""
            copy (
                select
                    'crm-' || i as crm_id,
                    case
                        when i % 20 < 16 and i % 3 = 0 then '  ' || upper(known.email) || ' '
                        when i % 20 < 16 then known.email
                        when i % 20 < 19 then 'stranger' || i || '@elsewhere.example'
                        else 'not an email ' || i
                    end as email,
                    'First' || i % 1000 as first_name,
                    'Company ' || i % 5000 || ', Inc.' as company
                from range({rows}) as t(i)
                left join known on known.k = (i * 7919) % {max(known, 1)}
                order by i
            ) to '{path}' (format csv, header true)
            """
        )


def newest_run_results(since: float, reports: Path) -> Path | None:
    """The nightly `dbt build`'s results, which the run keeps beside its report (dbt's own copy is
    overwritten by the purge's run-operation)."""
    found = [p for p in reports.glob("*/dbt_run_results.json")
             if p.stat().st_mtime >= since and _invocation(p) == "build"]
    return max(found, key=lambda p: p.stat().st_mtime) if found else None


def _invocation(run_results: Path) -> str | None:
    try:
        return json.loads(run_results.read_text()).get("args", {}).get("which")
    except (OSError, ValueError):
        return None


def node_breakdown(run_results: Path) -> dict:
    """Execution seconds by dbt node kind and the slowest nodes of one dbt invocation."""
    results = json.loads(run_results.read_text())["results"]
    by_kind: dict[str, list[float]] = {}
    for r in results:
        kind = r["unique_id"].split(".")[0]
        by_kind.setdefault(kind, []).append(r.get("execution_time") or 0.0)
    slowest = sorted(results, key=lambda r: r.get("execution_time") or 0.0, reverse=True)[:25]
    return {
        "by_kind": {k: {"nodes": len(v), "seconds": round(sum(v), 1)} for k, v in by_kind.items()},
        "slowest": [{"node": r["unique_id"], "seconds": round(r.get("execution_time") or 0.0, 1)}
                    for r in slowest],
        "elapsed_time": json.loads(run_results.read_text()).get("elapsed_time"),
    }


def ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, required=True, help="about this many consent events")
    parser.add_argument("--days", type=int, default=100, help="days landed before the increment")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--repeat", type=int, default=None, help="default 3 up to 200k events, else 1")
    parser.add_argument("--candidates", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=REPO / "data" / "bench")
    parser.add_argument("--steps", default="floor,full,incremental,empty,export",
                        help="comma-separated subset (full is needed by the others but floor)")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    from devtools.generate import contacts_for_events

    repeat = args.repeat or (3 if args.events <= 200_000 else 1)
    steps = set(args.steps.split(","))
    contacts = contacts_for_events(args.events, args.days)
    data = args.data / f"c{contacts}-d{args.days}-s{args.seed}-g{GENERATOR_VERSION}"
    data.mkdir(parents=True, exist_ok=True)
    started = time.time()
    load_before = os.getloadavg()
    print(f"bench: {args.events} events target -> {contacts} contacts x {args.days} days (+1), "
          f"seed {args.seed}, repeat {repeat}; data {data}", flush=True)
    everything, generate_cpu = generate(data, contacts, args.days, args.seed)
    base_days = [START + timedelta(days=i) for i in range(args.days)]
    extra_day = START + timedelta(days=args.days)
    last = base_days[-1]
    logs = RESULTS / f"logs-{args.events}"
    shutil.rmtree(logs, ignore_errors=True)

    measured = {name: Step(name) for name in ("floor", "full", "incremental", "empty", "export")}
    events = events_after_increment = None
    lines = size = extra_lines = 0
    breakdown: dict = {}
    night_breakdowns: dict[str, dict] = {}  # incremental and empty nights, like the full run's
    working_db_mb = published_mb = None
    def report() -> None:
        """Write the results so far (after every step, so a long run that is stopped keeps them)."""
        med = {name: (statistics.median(s.cpu()) if s.runs else 0.0) for name, s in measured.items()}
        pipeline_runs = [m for name in ("full", "incremental", "empty") for m in measured[name].runs]
        result = {
            "events": events,
            "events_target": args.events,
            "events_after_increment": events_after_increment,
            "lines": lines,
            "landed_mb": round(size / 2**20, 1),
            "increment_lines": extra_lines,
            "contacts": contacts,
            "days": args.days,
            "seed": args.seed,
            "repeat": repeat,
            "floor_s": round(med["floor"], 2),
            "full_s": round(med["full"], 2),
            "incremental_s": round(med["incremental"], 2),
            "empty_s": round(med["empty"], 2),
            "export_s": round(med["export"], 2),
            "export_candidates": args.candidates,
            "peak_rss_mb": round(max((m.peak_mb for m in pipeline_runs), default=0.0), 1),
            "full_over_floor": ratio(med["full"], med["floor"]),
            "incremental_over_full": ratio(med["incremental"], med["full"]),
            "empty_over_full": ratio(med["empty"], med["full"]),
            "generate_cpu_s": round(generate_cpu, 1),
            "working_db_mb": working_db_mb,
            "published_db_mb": published_mb,
            "failed_steps": sorted({m.log.name for s in measured.values() for m in s.runs if m.returncode != 0}),
            "steps": {name: s.summary() for name, s in measured.items() if s.runs},
            "dbt_full_run": breakdown,
            "dbt_nights": night_breakdowns,
            "machine": {"cpus": os.cpu_count(), "loadavg_before": load_before, "loadavg_after": os.getloadavg()},
            "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "elapsed_s": round(time.time() - started, 1),
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
        (RESULTS / f"events-{args.events}.json").write_text(json.dumps(result, indent=2) + "\n")

    for r in range(repeat):
        run = data / "run"
        shutil.rmtree(run, ignore_errors=True)
        landing, warehouse = run / "landing", run / "warehouse" / "ledger.duckdb"
        base_files = link_days(everything, landing, base_days)
        if r == 0:
            lines, size = count_lines(base_files)
        env = child_env(CONSENT_LEDGER_LANDING=str(landing), CONSENT_LEDGER_WAREHOUSE=str(warehouse),
                        CONSENT_LEDGER_EXPORTS=str(run / "exports"), CONSENT_LEDGER_REPORTS=str(run / "reports"))

        def keep_night_breakdown(name: str, since: float, reports: Path = run / "reports") -> None:
            results = newest_run_results(since, reports)
            if results is not None:
                shutil.copyfile(results, logs / f"{name}_run_results.json")
                night_breakdowns[name] = node_breakdown(results)
                report()

        def step(name: str, cmd: list[str], env: dict[str, str] = env, rep: int = r) -> Measurement:
            m = measure(cmd, logs / f"{name}-{rep + 1}.log", env)
            print(f"  [{rep + 1}/{repeat}] {name:<12} cpu {m.cpu_s:8.1f} s  wall {m.wall_s:8.1f} s  "
                  f"rss {m.peak_mb:7.0f} MB  rc {m.returncode}", flush=True)
            if m.returncode not in (0,):
                print(f"    (exit {m.returncode}: see {m.log})", flush=True)
            measured[name].runs.append(m)
            report()
            return m

        if "floor" in steps:
            step("floor", [sys.executable, str(REPO / "benchmarks" / "floor.py"), str(landing)])
        if "full" not in steps:
            continue
        since = time.time()
        step("full", cli("run", "--landing", str(landing), "--warehouse", str(warehouse), "--as-of",
                         last.isoformat(), "--full-refresh"))
        if r == 0:
            events = count_events(warehouse)
            results = newest_run_results(since, run / "reports")
            if results is not None:
                shutil.copyfile(results, logs / "full_run_results.json")
                breakdown = node_breakdown(results)
            working = warehouse.parent / "work" / "ledger_work.duckdb"
            working_db_mb = round(working.stat().st_size / 2**20, 1) if working.exists() else None
            published_mb = round(warehouse.stat().st_size / 2**20, 1) if warehouse.exists() else None
        if "incremental" in steps:
            extra = link_days(everything, landing, [extra_day])
            if r == 0:
                extra_lines = count_lines(extra)[0]
            since = time.time()
            step("incremental", cli("run", "--landing", str(landing), "--warehouse", str(warehouse),
                                    "--as-of", extra_day.isoformat()))
            if r == 0:
                events_after_increment = count_events(warehouse)
                keep_night_breakdown("incremental", since)
        if "empty" in steps:
            since = time.time()
            step("empty", cli("run", "--landing", str(landing), "--warehouse", str(warehouse), "--as-of",
                              (extra_day + timedelta(days=1)).isoformat()))
            if r == 0:
                keep_night_breakdown("empty", since)
        if "export" in steps:
            candidates = data / f"candidates-{args.candidates}.csv"
            if r == 0 or not candidates.exists():
                build_candidates(warehouse, candidates, args.candidates)
            step("export", cli("export", "--purpose", "newsletter", "--channel", "email", "--candidates",
                               str(candidates), "--out", str(run / "exports" / "segment.csv"),
                               "--warehouse", str(warehouse)))

    report()
    print_table(json.loads((RESULTS / "latest.json").read_text()))


def print_table(result: dict) -> None:
    print(f"\n{result['events']} events ({result['events_target']} asked), {result['lines']} landed lines, "
          f"{result['contacts']} contacts x {result['days']} days; medians of {result['repeat']} run(s); "
          "CPU s = user+sys of the whole process tree")
    print(f"{'step':<12} {'CPU s':>9} {'min-max':>17} {'wall s':>9} {'peak RSS MB':>12} {'vs floor':>9} "
          f"{'vs full':>8}")
    floor, full = result["floor_s"], result["full_s"]
    for name, s in result["steps"].items():
        cpu = s["cpu_s_median"]
        print(f"{name:<12} {cpu:>9.1f} {s['cpu_s_min']:>8.1f}-{s['cpu_s_max']:<8.1f} {s['wall_s_median']:>9.1f} "
              f"{s['peak_rss_mb']:>12.0f} {(cpu / floor if floor else 0):>8.1f}x "
              f"{(cpu / full if full else 0):>7.3f}")
    print(f"full/floor {result['full_over_floor']}  incremental/full {result['incremental_over_full']}  "
          f"empty/full {result['empty_over_full']}  peak RSS {result['peak_rss_mb']} MB  "
          f"-> {RESULTS / 'latest.json'}")


if __name__ == "__main__":
    main()
