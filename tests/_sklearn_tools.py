"""A shared check: a skimgdist metric object works inside scikit-learn's tools."""

import pickle

import numpy as np
from sklearn.base import clone
from sklearn.cluster import DBSCAN
from sklearn.model_selection import GridSearchCV
from sklearn.neighbors import KNeighborsClassifier, NearestNeighbors
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer


def assert_works_in_scikit_learn_tools(metric, grid, X, y):
    """kNN, nearest neighbours, DBSCAN, a grid search over ``knn__metric__<param>`` in a
    pipeline, pickling and cloning, on images ``X`` whose two classes ``y`` (halves: even
    rows train, odd rows test) the metric separates."""
    knn = KNeighborsClassifier(n_neighbors=3, metric=metric).fit(X[::2], y[::2])
    assert knn.score(X[1::2], y[1::2]) >= 0.8
    distances, _ = NearestNeighbors(n_neighbors=2, metric=metric).fit(X).kneighbors(X[:3])
    np.testing.assert_allclose(distances[:, 0], 0.0, atol=1e-12)
    labels = DBSCAN(eps=np.median(metric.pairwise(X)), min_samples=2, metric=metric).fit(X)
    assert labels.labels_.shape == (len(X),)
    pipeline = Pipeline([("identity", FunctionTransformer()),
                         ("knn", KNeighborsClassifier(n_neighbors=3, metric=metric))])
    search = GridSearchCV(pipeline, {f"knn__metric__{k}": v for k, v in grid.items()}, cv=2)
    assert search.fit(X, y).best_score_ >= 0.8
    restored = pickle.loads(pickle.dumps(search.best_estimator_))
    np.testing.assert_array_equal(restored.predict(X[:4]), search.predict(X[:4]))
    copy = clone(metric)
    assert copy is not metric and copy.get_params() == metric.get_params()
