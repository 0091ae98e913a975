"""Tables from the phases' results, as text for the terminal and Markdown for docs/benchmarks.md,
and the issue's targets judged from the numbers of the same run."""

import os
import platform
import subprocess
from datetime import datetime
from pathlib import Path

from benchmarks import endpoints as ep

ROOT = Path(__file__).resolve().parent.parent
TARGET_SIZE = 100_000
GROWTH_FROM, GROWTH_TO = 1_000, 1_000_000
DATABASE_NAMES = {"sqlite": "SQLite", "postgres": "PostgreSQL"}


# --- numbers --------------------------------------------------------------------------------


def rate(value):
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def ms(value):
    if value is None:
        return "-"
    if value >= 100:
        return f"{value:,.0f}"
    if value >= 10:
        return f"{value:.1f}"
    return f"{value:.2f}"


def percent(ratio):
    if ratio is None:
        return "-"
    if ratio >= 0.1:
        return f"{ratio:.0%}"
    if ratio >= 0.01:
        return f"{ratio:.1%}"
    return f"{ratio:.2%}"


def times(ratio):
    if ratio is None:
        return "-"
    return f"{ratio:,.0f}x" if ratio >= 100 else f"{ratio:.1f}x" if ratio >= 10 else f"{ratio:.2f}x"


def _ratio(a, b):
    return a / b if a is not None and b else None


# --- the machine and the run ----------------------------------------------------------------


def machine():
    """What the numbers were measured on."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = None
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
                break
    except OSError:
        pass
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "memory_gb": round(memory / 2**30, 1) if memory else None,
        "system": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
    }


def load_average():
    """The one-minute load average (None where the system does not say)."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return None


def commit():
    """The short commit, marked when the work tree has uncommitted changes."""
    try:
        head = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"],  # noqa: S607
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head} (with uncommitted changes)" if dirty else head


# --- tables ---------------------------------------------------------------------------------


class Table:
    def __init__(self, title, headers, rows, note="", left=(0,)):
        """`left`: the columns that hold words, aligned left (the others hold numbers)."""
        self.title, self.headers, self.rows, self.note = title, headers, rows, note
        self.left = left

    def text(self):
        widths = [
            max(len(str(cell)) for cell in column)
            for column in zip(self.headers, *self.rows, strict=True)
        ]

        def line(cells):
            return "  ".join(
                str(c).ljust(w) if i in self.left else str(c).rjust(w)
                for i, (c, w) in enumerate(zip(cells, widths, strict=True))
            ).rstrip()

        out = [self.title, line(self.headers), "  ".join("-" * w for w in widths)]
        out += [line(row) for row in self.rows]
        if self.note:
            out.append(self.note)
        return "\n".join(out)

    def markdown(self, level=3):
        out = [f"{'#' * level} {self.title}", ""]
        out.append("| " + " | ".join(self.headers) + " |")
        out.append(
            "| "
            + " | ".join("---" if i in self.left else "---:" for i in range(len(self.headers)))
            + " |"
        )
        out += [
            "| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |" for row in self.rows
        ]
        if self.note:
            out += ["", self.note]
        return "\n".join(out)


def _label(result):
    return (
        f"{DATABASE_NAMES[result['database']]} ({result['version']}), {result['groups']:,} groups"
    )


def load_table(result, mode, settings):
    """One database, size and cache mode under load: every endpoint against the floor."""
    runs = result["load"][mode]
    floor = runs[ep.FLOOR]["rps"]
    naive = runs[ep.NAIVE]["rps"]
    rows = []
    for endpoint in result["endpoints"]:
        run = runs[endpoint["key"]]
        rows.append(
            [
                endpoint["label"],
                rate(run["rps"]),
                ms(run["p50"]),
                ms(run["p95"]),
                ms(run["p99"]),
                run["errors"],
                percent(_ratio(run["rps"], floor)),
                times(_ratio(run["rps"], naive)),
            ]
        )
    return Table(
        f"{_label(result)}, search cache {mode}",
        ["endpoint", "req/s", "p50 ms", "p95 ms", "p99 ms", "errors", "of floor", "x naive"],
        rows,
        note=(
            f"gunicorn, {settings['workers']} sync workers; {runs[ep.FLOOR]['client']}, "
            f"{settings['connections']} connections, {settings['duration']:g} s per endpoint "
            f"after {settings['warmup']:g} s of warm-up."
        ),
    )


def in_process_table(database, results):
    """CPU (and wall) time per request in-process, one column per size, and the growth."""
    results = sorted(results, key=lambda r: r["groups"])
    headers = ["endpoint"] + [f"{r['groups']:,}: CPU / wall ms" for r in results]
    if len(results) > 1:
        headers.append(f"growth {results[0]['groups']:,} to {results[-1]['groups']:,}")
    rows = []
    for endpoint in results[0]["endpoints"]:
        key = endpoint["key"]
        cells = [endpoint["label"]]
        for r in results:
            t = r["inprocess"].get(key)
            cells.append(f"{ms(t['cpu_ms'])} / {ms(t['wall_ms'])}" if t else "-")
        if len(results) > 1:
            first, last = results[0]["inprocess"].get(key), results[-1]["inprocess"].get(key)
            cells.append(times(_ratio(last and last["wall_ms"], first and first["wall_ms"])))
        rows.append(cells)
    note = (
        "Median of up to the configured rounds, search cache off. PostgreSQL's own work runs in "
        "its server: it is in the wall time only, so growth is in wall time (the latency a "
        "reader waits for), on both databases."
    )
    return Table(f"{DATABASE_NAMES[database]}: in-process time per request", headers, rows, note)


def timings_table(results):
    rows = [
        [
            DATABASE_NAMES[r["database"]],
            f"{r['groups']:,}",
            f"{r['timings']['migrate']:.1f}",
            f"{r['timings']['load']:.1f}",
            f"{r['timings'].get('load_cpu', 0):.1f}",
            f"{r['groups'] / r['timings']['load']:,.0f}" if r["timings"]["load"] else "-",
            f"{r['timings']['analyze']:.1f}",
        ]
        for r in results
    ]
    return Table(
        "Building the directory",
        ["database", "groups", "migrate s", "load s", "load CPU s", "groups/s", "analyze s"],
        rows,
        note=(
            "Load CPU: the loading processes' own (making rows, and SQLite's work); a "
            "PostgreSQL server's is not in it."
        ),
    )


# --- targets --------------------------------------------------------------------------------


def targets(results):
    """(target, database, measured, verdict) for each target of issue 9, from these numbers."""
    rows = []
    databases = list(dict.fromkeys(r["database"] for r in results))
    for database in databases:
        mine = sorted((r for r in results if r["database"] == database), key=lambda r: r["groups"])
        at = next((r for r in mine if r["groups"] == TARGET_SIZE), None)
        shown = at or mine[-1]
        elsewhere = (
            None if at else f"not measured at {TARGET_SIZE:,} (this run: {shown['groups']:,})"
        )
        name = DATABASE_NAMES[database]
        off, on = shown["load"].get("off"), shown["load"].get("on")

        def judge(ok, measured, elsewhere=elsewhere):
            if measured is None:
                return "not measured"
            return elsewhere or ("met" if ok else "not met")

        def of_floor(runs, key):
            return _ratio(runs[key]["rps"], runs[ep.FLOOR]["rps"]) if runs else None

        r = of_floor(off, "api")
        rows.append(
            [
                "Uncached API search ZIP + cause: at least 50% of the floor's req/s",
                name,
                percent(r),
                judge(r is not None and r >= 0.5, r),
            ]
        )
        if off and ep.BOUND in off:
            r = of_floor(off, ep.BOUND)
            rows.append(
                [
                    "(for scale: the lower bound, 1 indexed query and 20 rows as JSON)",
                    name,
                    percent(r),
                    "reference",
                ]
            )
        r = _ratio(off["api"]["p95"], off[ep.FLOOR]["p95"]) if off else None
        rows.append(
            [
                "Uncached API search ZIP + cause: p95 at most 3x the floor's p95",
                name,
                times(r),
                judge(r is not None and r <= 3, r),
            ]
        )
        for key, what in (("html", "HTML search page ZIP + cause"), ("cause", "cause page")):
            r = of_floor(off, key)
            rows.append(
                [
                    f"Uncached {what}: at least 30% of the floor",
                    name,
                    percent(r),
                    judge(r is not None and r >= 0.3, r),
                ]
            )
        labels = {e["key"]: e["label"] for e in shown["endpoints"]}
        for key in ep.SEARCHES:
            if key == "api_rotating":  # made to miss the cache
                continue
            r = of_floor(on, key)
            rows.append(
                [
                    f"Cached search ({labels[key]}): at least 80% of the floor",
                    name,
                    percent(r),
                    judge(r is not None and r >= 0.8, r),
                ]
            )
        r = _ratio(off["api"]["rps"], off[ep.NAIVE]["rps"]) if off else None
        rows.append(
            [
                "Uncached API search: at least 100x the naive reference",
                name,
                times(r),
                judge(r is not None and r >= 100, r),
            ]
        )
        rows += _growth_rows(name, mine)
        # The site's endpoints; the two references are not the site.
        errors = sum(
            run["errors"]
            for r in mine
            for runs in r["load"].values()
            for key, run in runs.items()
            if key not in (ep.NAIVE, ep.BOUND)
        )
        errors += sum(
            t["non2xx"]
            for r in mine
            for key, t in r["inprocess"].items()
            if key not in (ep.NAIVE, ep.BOUND)
        )
        rows.append(
            [
                "Zero errors in every run",
                name,
                f"{errors:,} errors",
                "met" if errors == 0 else "not met",
            ]
        )
    return Table("Targets", ["target", "database", "measured", "verdict"], rows, left=(0, 1, 3))


def _growth_rows(name, mine):
    small, large = mine[0], mine[-1]
    spans = small["groups"] <= GROWTH_FROM and large["groups"] >= GROWTH_TO
    rows = []
    labels = {e["key"]: e["label"] for e in small["endpoints"]}
    for key in ep.SEARCHES:
        if len(mine) < 2:
            measured, verdict = "-", f"not measured (needs --groups {GROWTH_FROM},{GROWTH_TO})"
        else:
            # Wall time: on PostgreSQL the database's own work is not in this process's CPU.
            r = _ratio(large["inprocess"][key]["wall_ms"], small["inprocess"][key]["wall_ms"])
            measured = f"{times(r)} ({small['groups']:,} to {large['groups']:,})"
            if spans:
                verdict = "met" if r <= 1.5 else "not met"
            else:
                verdict = f"not measured from {GROWTH_FROM:,} to {GROWTH_TO:,}"
        rows.append(
            [
                f"Latency growth, 1,000 to 1,000,000 groups, at most 1.5x ({labels[key]})",
                name,
                measured,
                verdict,
            ]
        )
    return rows


# --- the whole report -----------------------------------------------------------------------


def tables(results, settings):
    out = [timings_table(results)]
    for r in results:
        for mode in r["load"]:
            out.append(load_table(r, mode, settings))
    for database in dict.fromkeys(r["database"] for r in results):
        out.append(in_process_table(database, [r for r in results if r["database"] == database]))
    out.append(targets(results))
    return out


INTRO = """\
# Benchmarks

Written by `make bench` (`python -m benchmarks`); do not edit the numbers by hand. To measure
again, on SQLite and, when `DATABASE_URL` names a PostgreSQL server, on PostgreSQL too:

    make bench BENCH_ARGS="--write docs/benchmarks.md"
    make bench BENCH_GROUPS=1000,100000,1000000 BENCH_ARGS="--write docs/benchmarks.md"
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/orgsite make bench
    .venv/bin/python -m benchmarks --help

What a run does: it generates a synthetic directory of N groups around real US places (weighted
by population; a few percent pending, inactive or archived; every coverage kind and cause),
loads it into a database of its own (`var/bench/bench-N.sqlite3`, or `<your database>_bench`
on PostgreSQL, dropped afterwards), serves the site under gunicorn with production settings
(one sync worker per core, 127.0.0.1), and loads each endpoint from a second process (`wrk`
where installed, else the bundled Python client) for a fixed time, with the search cache on
and then off (`SEARCH_CACHE_SECONDS=0`). The floor is `/healthz` (the whole middleware stack, no
database), measured in the same run: "of floor" is an endpoint's requests/s divided by the
floor's, so ratios compare across machines where raw numbers do not. "x naive" divides by the
requests/s of a naive reference view kept in `benchmarks/views.py` (published groups with the
cause, distance computed in Python for every one, sorted, first 20). The "lower bound" is the
other reference there: the place looked up, one query of 20 groups with the cause read from the
point index, and those rows as JSON; not a search, but the least one can cost on this stack,
so its share of the floor is a ceiling for any real search's. The in-process table is
CPU and wall time per request through Django's test client (search cache off), for comparing
sizes; latency growth is judged in wall time, which holds PostgreSQL's own work too.
Errors are answers other than 2xx plus socket errors and requests that took longer than the
timeout (`--timeout`, 5 s by default); the naive reference is waited for up to 60 s, and both
references are left out of the error count as they are not the site.
"""


def markdown(results, settings, run, notes=""):
    info = run["machine"]
    memory = f", {info['memory_gb']} GB memory" if info["memory_gb"] else ""
    lines = [
        INTRO,
        "## This run",
        "",
        f"- Machine: {info['cpu']}, {info['cores']} cores{memory}; {info['system']}, "
        f"Python {info['python']}",
        f"- Date: {run['date']}",
        f"- Commit: {run['commit']}",
        f"- Command: `{run['command']}`",
        f"- Databases: {', '.join(sorted({r['version'] for r in results}))}",
        f"- Total time: {run['seconds'] / 60:.1f} minutes",
    ]
    before, after = run.get("load_average", (None, None))
    if before is not None and after is not None:
        lines.append(
            f"- Load average (1 min) at the start and the end: {before:.1f} and {after:.1f} on "
            f"{info['cores']} cores; other work on the machine lowers every number, the floor's too"
        )
    lines.append("")
    if notes:
        lines += ["## Notes", "", notes.strip(), ""]
    all_tables = tables(results, settings)
    lines += ["## Targets", "", all_tables[-1].markdown(level=3).split("\n", 2)[2], ""]
    lines += ["## Results", ""]
    lines += [t.markdown() + "\n" for t in all_tables[:-1]]
    return "\n".join(lines).rstrip() + "\n"


def now():
    return datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")
