"""Benchmark harness: side-by-side timings and peak memory against reference implementations.

Each ``benchmarks/bench_<topic>.py`` defines ``cases(quick=False) -> list[Case]``.  A case
builds its inputs once (``setup``), then times skimgdist (``ours``) and every reference on
the same inputs in the same process, so the ratios are meaningful on a shared, noisy
machine.  Peak extra memory is measured in a fresh subprocess per implementation: the
child builds the inputs, notes its peak resident set size, runs the implementation once
and reports how much the peak grew (this counts C/C++ allocations that ``tracemalloc``
cannot see, such as POT's solvers).  A case may also report how far each reference's value
is from skimgdist's (``difference``), for references whose accuracy is a setting.
"""

from __future__ import annotations

import gc
import importlib
import json
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent


@dataclass
class Impl:
    """One implementation of a case: a label, a function of the case data, and its work units.

    ``units`` is how many pairs (or images) one call computes, so a slow reference can
    run on a sample and still be compared per unit.
    """

    label: str
    run: Callable[[Any], Any]
    units: int = 1


@dataclass
class Case:
    """A benchmark case: inputs, skimgdist's implementation and the references."""

    name: str
    setup: Callable[[], Any]
    ours: Impl
    references: list[Impl] = field(default_factory=list)
    repeat: int = 3
    memory: bool = False
    check: Callable[[Any, Any], None] | None = None
    difference: Callable[[Any, Any], float] | None = None


def best_time(function, data, repeat):
    """Best wall-clock time of ``repeat`` calls, and the result of the last call."""
    best, result = float("inf"), None
    for _ in range(max(1, repeat)):
        gc.collect()
        start = time.perf_counter()
        result = function(data)
        best = min(best, time.perf_counter() - start)
    return best, result


def reset_peak_rss():
    """Reset the kernel's peak-RSS mark to the current RSS; returns the current RSS in MiB.

    Without the reset, a setup whose own temporaries peaked higher than the measured call
    would hide that call's memory entirely.  Linux only (``/proc/self/clear_refs``).
    """
    Path("/proc/self/clear_refs").write_text("5")
    return _status_mb("VmRSS")


def peak_rss_mb():
    """Peak resident set size since the last reset, in MiB."""
    return _status_mb("VmHWM")


def _status_mb(field_name):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field_name + ":"):
            return int(line.split()[1]) / 1024.0
    raise RuntimeError(f"{field_name} not found in /proc/self/status")


def measure_memory_in_subprocess(module_name, case_index, impl_index, quick):
    """Peak extra memory (MiB) of one implementation, measured in a fresh interpreter."""
    command = [
        sys.executable, str(BENCH_DIR / "run.py"), "--measure-memory",
        f"{module_name}:{case_index}:{impl_index}",
    ] + (["--quick"] if quick else [])
    completed = subprocess.run(command, capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        return f"failed: {completed.stderr.strip().splitlines()[-1:]}"
    return float(completed.stdout.strip().splitlines()[-1])


def memory_child(spec, quick):
    """Entry point of the memory subprocess: print the peak RSS growth of one implementation."""
    module_name, case_index, impl_index = spec.split(":")
    case = load_module(module_name).cases(quick=quick)[int(case_index)]
    implementations = [case.ours, *case.references]
    data = case.setup()
    gc.collect()
    before = reset_peak_rss()
    implementations[int(impl_index)].run(data)
    print(max(0.0, peak_rss_mb() - before))


def load_module(module_name):
    if str(BENCH_DIR) not in sys.path:
        sys.path.insert(0, str(BENCH_DIR))
    return importlib.import_module(module_name)


def discover():
    """The ``bench_*`` module names, in alphabetical order."""
    return sorted(path.stem for path in BENCH_DIR.glob("bench_*.py"))


def run_case(module_name, index, case, quick, measure_memory):
    """Time one case and its references; returns one result row per implementation."""
    data = case.setup()
    implementations = [case.ours, *case.references]
    rows, ours_result = [], None
    for impl_index, impl in enumerate(implementations):
        seconds, result = best_time(impl.run, data, case.repeat)
        if impl_index == 0:
            ours_result = result
        elif case.check is not None:
            case.check(ours_result, result)
        difference = (case.difference(ours_result, result)
                      if case.difference is not None and impl_index > 0 else None)
        rows.append({
            "case": case.name,
            "implementation": impl.label,
            "is_ours": impl_index == 0,
            "seconds": seconds,
            "units": impl.units,
            "seconds_per_unit": seconds / impl.units,
            "relative_difference": difference,
            "peak_extra_mb": (
                measure_memory_in_subprocess(module_name, index, impl_index, quick)
                if case.memory and measure_memory else None
            ),
        })
    ours = rows[0]
    for row in rows:
        row["speedup_of_ours"] = row["seconds_per_unit"] / ours["seconds_per_unit"]
        both_numbers = isinstance(row["peak_extra_mb"], float) and isinstance(
            ours["peak_extra_mb"], float)
        row["memory_ratio_of_ours"] = (
            row["peak_extra_mb"] / max(ours["peak_extra_mb"], 0.1) if both_numbers else None
        )
    return rows


def machine_info():
    import numpy
    import scipy
    import sklearn

    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    import os

    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": cpu,
        "cores": os.cpu_count(),
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "scikit-learn": sklearn.__version__,
        **{name: _version(module) for name, module in _REFERENCE_LIBRARIES.items()},
    }


# Reference libraries whose versions the results record: POT (a dependency) and GeomLoss's
# route (optional, the bench extra), as name: module.
_REFERENCE_LIBRARIES = {"POT": "ot", "torch": "torch", "geomloss": "geomloss",
                        "pykeops": "pykeops"}


def _version(module_name):
    try:
        return importlib.import_module(module_name).__version__
    except ImportError:
        return "not installed"


def format_table(rows):
    """A plain-text table: one line per implementation, ratios relative to skimgdist."""
    header = (f"{'case':<46} {'implementation':<40} {'s/unit':>11} {'x slower':>9} "
              f"{'peak MB':>9} {'x memory':>9} {'rel. diff':>9}")
    lines = [header, "-" * len(header)]
    for row in rows:
        memory = row["peak_extra_mb"]
        if isinstance(memory, float):
            memory_text = f"{memory:9.1f}"
        else:
            memory_text = f"{'-' if memory is None else 'failed':>9}"
        ratio = row["memory_ratio_of_ours"]
        difference = row["relative_difference"]
        lines.append(
            f"{row['case'][:46]:<46} {row['implementation'][:40]:<40} "
            f"{row['seconds_per_unit']:11.3e} "
            f"{'' if row['is_ours'] else format(row['speedup_of_ours'], '9.1f'):>9} "
            f"{memory_text} {'' if ratio is None or row['is_ours'] else format(ratio, '9.1f'):>9} "
            f"{'' if difference is None else format(difference, '9.1e'):>9}"
        )
    return "\n".join(lines)


def write_json(path, info, rows):
    Path(path).write_text(json.dumps({"machine": info, "results": rows}, indent=2))
