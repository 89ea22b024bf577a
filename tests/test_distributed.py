"""Distance matrices on a real Dask cluster, through joblib's Dask backend.

Starts a ``dask.distributed.LocalCluster`` of two worker processes on this
machine, runs the engine inside ``joblib.parallel_config(backend="dask")`` and
checks that the blocks ran on the workers and that the matrix equals the local one.
"""

import logging

import joblib
import numpy as np
import pytest

distributed = pytest.importorskip(
    "distributed",
    reason="the Dask test needs dask[distributed]: pip install 'skimgdist[dask]'",
)

import skimgdist  # noqa: E402
from skimgdist import ImageIndex, SlicedWasserstein, pairwise_distances  # noqa: E402


@pytest.fixture(scope="module")
def client():
    with (
        distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                 dashboard_address=None, silence_logs=logging.ERROR) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def images(n, seed):
    return np.random.default_rng(seed).random((n, 64)) ** 3


def test_pairwise_matrix_on_a_dask_cluster_equals_the_local_one(client, monkeypatch):
    monkeypatch.setattr(skimgdist.pairwise, "_MIN_PARALLEL_WORK", 0)  # share tiny matrices
    X, Y = images(40, seed=0), images(9, seed=1)
    metric = SlicedWasserstein(n_projections=8, p=1)
    local_xx = pairwise_distances(X, metric=metric)
    local_xy = pairwise_distances(X, Y, metric=metric)
    with distributed.get_task_stream(client) as stream, joblib.parallel_config(backend="dask"):
        remote_xx = pairwise_distances(X, metric=metric, n_jobs=-1)
        remote_xy = pairwise_distances(X, Y, metric=metric, n_jobs=-1)
    workers = {task["worker"] for task in stream.data}
    assert workers <= set(client.scheduler_info()["workers"])
    assert len(stream.data) >= 8  # several blocks per worker, on the cluster
    np.testing.assert_allclose(remote_xx, local_xx, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(remote_xy, local_xy, rtol=1e-12, atol=1e-15)


def test_retrieval_on_a_dask_cluster_equals_the_local_one(client):
    gallery, X = images(30, seed=2), images(12, seed=3)
    index = ImageIndex(metric=SlicedWasserstein(n_projections=8, p=1), n_jobs=-1).fit(gallery)
    local = ImageIndex(metric=SlicedWasserstein(n_projections=8, p=1)).fit(gallery).query(X, k=3)
    with joblib.parallel_config(backend="dask"):
        remote = index.query(X, k=3)
    np.testing.assert_allclose(remote[0], local[0], rtol=1e-12)
    np.testing.assert_array_equal(remote[1], local[1])
