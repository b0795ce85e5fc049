"""What the benchmark scripts share: formatting times, rendering tables, describing the
machine and the git-model checkout that runs."""

from __future__ import annotations

import hashlib
import os
import platform
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A table renderer: (header, lines, code) -> text; ``code`` quotes cells as command lines.
Renderer = Callable[[Sequence[str], Sequence[Sequence[str]], bool], str]


def seconds(value: float) -> str:
    """``0.4 ms``, ``12 ms``, ``1.23 s``, ``36.6 s``."""
    if value < 1:
        return f"{value * 1000:.0f} ms" if value >= 0.01 else f"{value * 1000:.1f} ms"
    return f"{value:.1f} s" if value >= 10 else f"{value:.2f} s"


def spread(samples: Sequence[float], runs: int | None = None) -> str:
    """``median (min-max)``, with the number of samples when it is not ``runs``."""
    if not samples:
        return "—"
    median = seconds(statistics.median(samples))
    if len(samples) == 1:
        return f"{median} (1 run)"
    low, high = seconds(min(samples)), seconds(max(samples))
    if low.split()[1] == high.split()[1]:  # one unit for both ends: "306-380 ms"
        low = low.split()[0]
    count = f", {len(samples)} runs" if runs is not None and len(samples) != runs else ""
    return f"{median} ({low}-{high}{count})"


def render_text(header: Sequence[str], lines: Sequence[Sequence[str]], code: bool = False) -> str:
    """Aligned columns for a terminal."""
    widths = [max(len(r[i]) for r in (header, *lines)) for i in range(len(header))]
    out = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True))]
    out.append("  ".join("-" * w for w in widths))
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in lines]
    return "\n".join(out)


def render_markdown(
    header: Sequence[str], lines: Sequence[Sequence[str]], code: bool = False
) -> str:
    """A Markdown table: times right-aligned, or (``code``) command lines as code."""

    def md(row: Sequence[str], quote: bool = False) -> str:
        cells = [row[0], *(f"`{c}`" if quote and c != "—" else c for c in row[1:])]
        return "| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |"

    rule = ["---"] + ["---" if code else "--:"] * (len(header) - 1)
    return "\n".join([md(header), md(rule), *(md(r, quote=code) for r in lines)])


# --- the machine ----------------------------------------------------------------------------


def output(argv: Sequence[str], env: dict[str, str], cwd: Path | None = None) -> str:
    """What a command prints (stdout and stderr), or "" when it fails."""
    proc = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, check=False, text=True)
    return proc.stdout + proc.stderr if proc.returncode == 0 else ""


def version_of(argv: Sequence[str], env: dict[str, str]) -> str:
    match = re.search(r"\d+\.\d+[\w.]*", output(argv, env))
    return match.group(0) if match else "unknown"


def checkout(env: dict[str, str], root: Path = ROOT) -> str:
    """The commit of the git-model checkout that runs (or of another, at ``root``), and
    whether src/ has local changes (with a digest of them, so that a change made during the
    run shows)."""
    head = output(["git", "rev-parse", "--short", "HEAD"], env, root).strip() or "unknown"
    dirty = output(["git", "status", "--porcelain", "--", "src"], env, root).strip()
    if not dirty:
        return head
    diff = output(["git", "diff", "HEAD", "--", "src"], env, root)
    digest = hashlib.sha256((dirty + diff).encode()).hexdigest()[:8]
    return f"{head} with local changes in src/ (digest {digest})"


def load_average() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"


def hardware() -> dict[str, str]:
    """CPU, memory, OS and Python, as /proc and the platform module report them."""
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = re.findall(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.MULTILINE)
        cpu = names[0] if names else cpu
    memory = "unknown"
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        found = re.search(r"^MemTotal:\s*(\d+) kB", meminfo.read_text(), re.MULTILINE)
        memory = f"{int(found.group(1)) / 1024**2:.1f} GiB" if found else memory
    return {
        "CPU": f"{cpu}, {os.cpu_count()} cores",
        "memory": memory,
        "OS": platform.platform(),
        "Python": platform.python_version(),
    }


def closing(about: dict[str, str], env: dict[str, str], began: float) -> None:
    """Complete the machine's description at the end of a run: the checkout again (when
    src/ changed during the run), the load average, how long the run took."""
    at_end = checkout(env)
    if not about["git-model"].endswith(at_end):  # another hand edited src/ meanwhile
        about["git-model"] += f"; at the end of the run: {at_end}"
    about["load average at end"] = load_average()
    about["benchmark took"] = f"{time.perf_counter() - began:.0f} s"


def publish(report: Callable[[Renderer], str], markdown: Path | None) -> None:
    """Print the report for a terminal and, given a file, write it there as Markdown."""
    print(report(render_text), flush=True)
    if markdown is not None:
        markdown.write_text(report(render_markdown))
        print(f"wrote {markdown}", file=sys.stderr, flush=True)
