"""Measure the cost per pair of every distance at 64x64 and 299x299 (the table in choosing.md).

Usage: ``python docs/measure_costs.py`` prints a markdown table: seconds per pair (best
of three calls; a single call when one takes over 5 s) and the peak of NumPy memory
allocated during one call (tracemalloc; compiled numba kernels' own buffers are not
counted). The images are two heatmaps of three Gaussian hot spots, B being A with its
spots moved (the pair of ``examples/plot_heatmaps_299.py``, scaled to each size).
Report ``uptime`` next to the numbers: the machine's load changes them.
"""

import sys
import time
import tracemalloc
import warnings

import numpy as np

import skimgdist

# The exact Euclidean EMD (column generation) at 299x299 takes many minutes on this pair; its
# certified bound with neighborhood=3 is timed instead.
SIZES = (64, 299)
ONLY_AT = {("wasserstein", ()): (64,)}
CASES = [
    ("sliced_wasserstein", {}),
    ("max_sliced_wasserstein", {}),
    ("wasserstein", {"ground_metric": "cityblock"}),
    ("wasserstein", {}),
    ("wasserstein", {"neighborhood": 3}),
    ("sinkhorn", {}),
    ("sinkhorn_divergence", {}),
    ("blurred_l2", {}),
    ("total_variation", {}),
    ("hellinger", {}),
    ("jensen_shannon", {}),
    ("kl_divergence", {"eps": 1e-6}),
    ("chi_square", {}),
    ("f_divergence", {}),
    ("intensity_emd", {}),
    ("rowwise_emd", {}),
]


def heatmaps(size):
    rows, columns = np.indices((size, size)) * (299 / size)
    spots_a = [(80, 90, 25, 1.0), (200, 180, 35, 0.7), (150, 250, 15, 0.5)]
    spots_b = [(95, 90, 25, 1.0), (200, 200, 35, 0.7), (120, 240, 15, 0.5)]
    return [sum(h * np.exp(-((rows - r) ** 2 + (columns - c) ** 2) / (2 * w**2))
                for r, c, w, h in spots).ravel() for spots in (spots_a, spots_b)]


def measure(function, a, b, params):
    tracemalloc.start()
    start = time.perf_counter()
    function(a, b, **params)
    seconds = [time.perf_counter() - start]
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    if seconds[0] < 5:
        for _ in range(2):
            start = time.perf_counter()
            function(a, b, **params)
            seconds.append(time.perf_counter() - start)
    return min(seconds), peak


def pretty_seconds(seconds):
    for unit, scale in (("s", 1), ("ms", 1e-3), ("µs", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds * 1e9:.3g} ns"


def main():
    warnings.simplefilter("ignore")
    pairs = {size: heatmaps(size) for size in SIZES}
    tiny = heatmaps(16)
    print("| distance | 64x64 | peak memory | 299x299 | peak memory |")
    print("|---|---|---|---|---|")
    for name, params in CASES:
        function = getattr(skimgdist, name)
        function(*tiny, **params)  # compile or load the kernels before timing
        cells = []
        for size, (a, b) in pairs.items():
            if size not in ONLY_AT.get((name, tuple(params.items())), SIZES):
                cells += ["not measured", "-"]
                continue
            seconds, peak = measure(function, a, b, params)
            cells += [pretty_seconds(seconds), f"{peak / 2**20:.1f} MiB"]
            print(f"  measured {name} {params} at {size}: {seconds:.4g} s", flush=True,
                  file=sys.stderr)
        label = name + "".join(f", {k}={v!r}" for k, v in params.items())
        print(f"| `{label}` | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
