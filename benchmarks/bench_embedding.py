"""Sliced Wasserstein at collection scale: certified embedding, pruned search, tolerance mode.

- exact top-10 SW2 neighbours (50 directions) of 1,000 queries in 20,000 heatmaps of
  64x64 by ``ImageIndex`` (filter and refine on the embedding's bounds), against the
  brute-force exact route timed on a sample of pairs (the table compares time per pair);
  the index build (embedding the gallery) is printed apart, with the float32 gallery
  embedding's memory and the fraction of pairs computed exactly;
- the full 2,000 x 2,000 SW2 matrix of 32x32 heatmaps at ``tolerance=1e-3`` against the
  exact batched route (timed on the first 300 images); the median and max relative error
  reached are printed;
- embedding throughput, 64x64 and 299x299 (images per second).

Extra figures are printed as lines starting with ``#``.
"""

from __future__ import annotations

import resource
import time

import numpy as np
from _harness import Case, Impl
from bench_sliced import _heatmaps

from skimgdist import ImageIndex, SlicedWasserstein, SlicedWassersteinEmbedding, pairwise_distances

N_DIRECTIONS = 50


def _pairs(n):
    return n * (n - 1) // 2


def _knn_case(n_gallery, n_queries, side, k, sample):
    metric = SlicedWasserstein(n_projections=N_DIRECTIONS)

    def setup():
        gallery = _heatmaps(n_gallery, side, seed=1)
        queries = _heatmaps(n_queries, side, seed=2)
        start = time.perf_counter()
        index = ImageIndex(metric=metric).fit(gallery)
        print(f"# knn: index build (validate + embed {n_gallery} images) "
              f"{time.perf_counter() - start:.1f} s; gallery embedding "
              f"{index.gallery_embedding_.nbytes / 2**20:.0f} MiB as "
              f"{index.gallery_embedding_.dtype}", flush=True)
        return index, gallery, queries

    def ours(data):
        index, gallery, queries = data
        distances, indices = index.query(queries, k=k)
        # The refined distances are the exact ones (spot check on the first query).
        np.testing.assert_allclose(distances[0], metric.pairwise(queries[:1],
                                                                 gallery[indices[0]])[0],
                                   rtol=1e-12)
        print(f"# knn: fraction of pairs computed exactly {index.exact_fraction_:.2e}; "
              f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10:.0f} MiB",
              flush=True)
        return distances

    def brute_force(data):
        _, gallery, queries = data
        return metric.pairwise(queries[:sample[0]], gallery[:sample[1]])

    return Case(
        name=f"top-{k} of {n_queries} queries in {n_gallery} x {side}x{side}, {N_DIRECTIONS} dirs",
        setup=setup,
        ours=Impl("skimgdist ImageIndex.query (pruned)", ours, units=n_queries * n_gallery),
        references=[Impl("brute-force exact (SlicedWasserstein.pairwise)", brute_force,
                         units=sample[0] * sample[1])],
        repeat=1, memory=False,
    )


def _tolerance_case(n_images, side, tolerance, n_exact):
    metric = SlicedWasserstein(n_projections=N_DIRECTIONS)

    def setup():
        X = _heatmaps(n_images, side, seed=3)
        metric.pairwise(X[:4])
        return X

    def ours(X):
        return pairwise_distances(X, metric=metric, tolerance=tolerance)

    def check(approximate, exact):
        off = ~np.eye(len(exact), dtype=bool)
        error = np.abs(approximate[:len(exact), :len(exact)] - exact)[off] / exact[off]
        print(f"# tolerance={tolerance}: relative error on the first {len(exact)} images: "
              f"median {np.median(error):.2e}, max {error.max():.2e}", flush=True)
        assert error.max() <= tolerance

    return Case(
        name=f"{n_images} x {n_images} SW2 of {side}x{side}, tolerance={tolerance}",
        setup=setup,
        ours=Impl(f"pairwise_distances(tolerance={tolerance})", ours, units=_pairs(n_images)),
        references=[Impl("exact batched (SlicedWasserstein.pairwise)",
                         lambda X: metric.pairwise(X[:n_exact]), units=_pairs(n_exact))],
        repeat=1, memory=False, check=check,
    )


def _throughput_case(n_images, side, dtype):
    embedding = SlicedWassersteinEmbedding(n_projections=N_DIRECTIONS, dtype=dtype)

    def setup():
        X = _heatmaps(n_images, side, seed=4)
        embedding.fit(X[:1]).transform(X[:1])  # geometry cached, kernels compiled
        return X

    return Case(
        name=f"embedding throughput {side}x{side} ({dtype}), per image",
        setup=setup,
        ours=Impl("SlicedWassersteinEmbedding.transform", embedding.transform, units=n_images),
        repeat=1, memory=False,
    )


def cases(quick=False):
    if quick:
        return [
            _throughput_case(20, 32, "float32"),
            _knn_case(400, 10, 32, 5, sample=(2, 50)),
            _tolerance_case(120, 16, 1e-3, n_exact=40),
        ]
    return [
        _throughput_case(500, 64, "float32"),
        _throughput_case(10, 299, "float32"),
        _tolerance_case(2000, 32, 1e-3, n_exact=300),
        _knn_case(20000, 1000, 64, 10, sample=(4, 250)),
    ]
