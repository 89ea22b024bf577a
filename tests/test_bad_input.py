"""The bad-input matrix: every public entry point x every kind of bad (or odd) input.

Each case must end in a finite value or a ``ValueError``/``TypeError`` whose message
names the problem; never a crash, a hang, a silent nan/inf, or a change to the
caller's array.  Entry points and input cases are tables: add a row to cover a new
function, metric, transformer or kind of input.  Images are 4x4 so the whole matrix
runs in seconds; ``pytest tests/test_bad_input.py -q -rA | grep -c <entry>`` or the
``--collect-only`` listing gives the counts per entry point.
"""

from __future__ import annotations

import math
import subprocess
import sys
from numbers import Integral, Real

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
from sklearn.utils._param_validation import Interval

import skimgdist
import skimgdist.io
from skimgdist import datasets, preprocessing
from skimgdist.metrics import available_metrics, get_metric

SIDE = 4
N_PIXELS = SIDE * SIDE


def _good(n=2, seed=0):
    return np.random.default_rng(seed).random((n, N_PIXELS)) + 0.1


def _with(value, dtype=float):
    X = _good().astype(dtype)
    X[0, 3] = value
    return X


# Input cases: name -> (builder of X with two images as rows, words one of which a
# refusal must contain).  ``None`` as words: the input is valid for every entry point
# that takes images, which must then return finite values.
BAD = "NaN|nan|infinit|finite"
DTYPE = "real|complex|string|bytes|date|time|numeric|float|dtype|convert"
SHAPE = "shape|pixels|square|2-D|1-D|2D|1D|array|dimension|empty|sample|feature"
DATA_CASES = {
    "nan": (lambda: _with(np.nan), BAD),
    "+inf": (lambda: _with(np.inf), BAD),
    "-inf": (lambda: _with(-np.inf), BAD),
    "negative": (lambda: _with(-1.0), "negative|>= 0|non-negative"),
    "zero_mass": (lambda: np.vstack([np.zeros(N_PIXELS), _good(1)[0]]), "zero|mass|empty"),
    "no_images": (lambda: np.ones((0, N_PIXELS)), "empty|0 sample|minimum|shape"),
    "no_pixels": (lambda: np.ones((2, 0)), "empty|0 feature|minimum|pixel"),
    "not_square": (lambda: np.ones((2, 15)), "square|shape|pixels|15"),
    "4d": (lambda: np.ones((2, 1, SIDE, SIDE)), SHAPE),
    "scalar": (lambda: np.float64(1.0), SHAPE),
    "ragged_list": (lambda: [[1.0] * N_PIXELS, [1.0] * 3], SHAPE + "|sequence|inhomogeneous"),
    "bool": (lambda: _good() > 0.5, None),
    "int8": (lambda: (_good() * 100).astype(np.int8), None),
    "uint8": (lambda: (_good() * 200).astype(np.uint8), None),
    "int64": (lambda: (_good() * 1000).astype(np.int64), None),
    "float16": (lambda: _good().astype(np.float16), None),
    "float32": (lambda: _good().astype(np.float32), None),
    "complex": (lambda: _good().astype(complex) * 1j, DTYPE),
    "object_numbers": (lambda: _good().astype(object), None),
    "object_str": (lambda: _with("a", object), DTYPE + "|str"),
    "object_none": (lambda: _with(None, object), DTYPE + "|None|NaN|nan"),
    "object_huge_int": (lambda: _with(10**400, object), "float64 range|too large|overflow"),
    "str": (lambda: _good().astype(str), DTYPE),
    "bytes": (lambda: _good().astype(str).astype(bytes), DTYPE),
    "datetime": (lambda: _good().astype("datetime64[s]"), DTYPE),
    "timedelta": (lambda: _good().astype("timedelta64[s]"), DTYPE),
    "sparse": (lambda: sp.csr_matrix(_good()), "sparse|dense"),
    "dataframe": (lambda: pd.DataFrame(_good()), None),
    "complex_dataframe": (lambda: pd.DataFrame(_good() * (1 + 1j)), DTYPE),
    "list": (lambda: _good().tolist(), None),
    "huge": (lambda: _good() * 1e300, None),
    "max_float": (lambda: np.full((2, N_PIXELS), np.finfo(float).max), "overflow"),
    "tiny": (lambda: _good() * 1e-300, None),
    "subnormal": (lambda: np.full((2, N_PIXELS), 5e-324), None),
}

# Input cases that entry points of raw values (transformers, pixel-wise distances) may
# accept although they are not distributions of light.
RAW_VALUES = {"negative", "zero_mass"}
# Input cases where a value and a refusal are both right (summing pixels near the
# largest double overflows; distances of distributions rescale first).
EITHER = {"max_float"}

# Entry points: name -> (call taking X, whether it compares distributions of light).
ENTRY_POINTS = {}
for _name in sorted(available_metrics()):
    _metric = get_metric(_name)
    _distribution = _metric._checks_distribution()
    _function = getattr(skimgdist, _name)
    ENTRY_POINTS[f"{_name}()"] = (
        lambda X, f=_function: f(*_pair(X)), _distribution)
    ENTRY_POINTS[f"{type(_metric).__name__}()(x, y)"] = (
        lambda X, m=_metric: m(*_pair(X)), _distribution)
    ENTRY_POINTS[f"{type(_metric).__name__}().pairwise"] = (
        lambda X, m=_metric: m.pairwise(X), _distribution)
    ENTRY_POINTS[f"pairwise_distances[{_name}]"] = (
        lambda X, n=_name: skimgdist.pairwise_distances(X, metric=n), _distribution)
ENTRY_POINTS.update({
    "pairwise_distances[n_jobs=2]": (
        lambda X: skimgdist.pairwise_distances(X, n_jobs=2), True),
    "image_kernel": (lambda X: skimgdist.image_kernel(X), True),
    "ImageDistances.fit_transform": (
        lambda X: skimgdist.ImageDistances().fit_transform(X), True),
    "ImageIndex.fit.query": (
        lambda X: skimgdist.ImageIndex().fit(X).query(X)[0], True),
    "Downscale.fit_transform": (
        lambda X: skimgdist.Downscale(factor=2).fit_transform(X), False),
    "GaussianBlur.fit_transform": (
        lambda X: skimgdist.GaussianBlur().fit_transform(X), False),
    "Normalize.fit_transform": (
        lambda X: skimgdist.Normalize().fit_transform(X), True),
    "preprocessing.downscale": (lambda X: preprocessing.downscale(X, factor=2), False),
    "preprocessing.gaussian_blur": (
        lambda X: preprocessing.gaussian_blur(X, sigma=1.0), False),
    "preprocessing.normalize": (lambda X: preprocessing.normalize(X), True),
})


def _pair(X):
    """The two 1-D images a per-pair form gets: the bad case as ``x``, a good ``y``."""
    x = X
    if sp.issparse(X):
        x = X  # a sparse matrix row is still a 2-D sparse matrix
    elif isinstance(X, pd.DataFrame):
        x = X.iloc[0]
    elif (isinstance(X, np.ndarray) and X.ndim == 2 and len(X)) or (
            isinstance(X, list) and len({len(row) for row in X}) == 1):
        x = X[0]
    return x, _good(1, seed=5)[0]


def _copy(X):
    return X.copy() if hasattr(X, "copy") else X


def _same(before, after):
    if sp.issparse(before):
        return (before != after).nnz == 0
    if isinstance(before, pd.DataFrame):
        return before.equals(after)
    before, after = np.asarray(before, dtype=object), np.asarray(after, dtype=object)
    return before.shape == after.shape and all(
        (a is b) or (a == b) or (a != a and b != b) for a, b in zip(before.flat, after.flat, strict=True))


def _assert_value_or_clear_error(call, X, words, accepted, infinite_ok=False):
    """The contract: a finite value, or a ValueError/TypeError naming the problem.

    ``infinite_ok``: divergences that are documented to be ``inf`` where the
    supports of the two images disagree.
    """
    original = _copy(X)
    try:
        result = call(X)
    except (ValueError, TypeError) as error:
        message = str(error)
        assert accepted is not True, f"a valid input was refused: {message}"
        assert words is not None and any(w.lower() in message.lower()
                                         for w in words.split("|")), (
            f"the message does not name the problem ({words}): {message}")
    else:
        assert accepted is not False, "an invalid input was accepted"
        values = np.asarray(result, dtype=float)
        assert not np.isnan(values).any(), f"silent nan: {values}"
        assert infinite_ok or np.isfinite(values).all(), f"silent inf: {values}"
    assert _same(original, X), "the input was modified"


def _data_cases():
    for entry, (call, distribution) in ENTRY_POINTS.items():
        for case, (build, words) in DATA_CASES.items():
            if words is None:
                accepted = True
            elif case in EITHER or (case in RAW_VALUES and not distribution):
                accepted = None   # either is fine: raw-value entry points may accept them
            else:
                accepted = False
            infinite_ok = any(name in entry.lower() for name in INFINITE_WHERE_SUPPORTS_DIFFER)
            yield pytest.param(call, build, words, accepted, infinite_ok,
                               id=f"{entry}-{case}")


# Divergences documented to be inf where one image has light and the other none.
INFINITE_WHERE_SUPPORTS_DIFFER = ("kl_divergence", "kldivergence", "f_divergence",
                                  "fdivergence")


@pytest.mark.parametrize(("call", "build", "words", "accepted", "infinite_ok"),
                         list(_data_cases()))
def test_data_case(call, build, words, accepted, infinite_ok):
    _assert_value_or_clear_error(call, build(), words, accepted, infinite_ok)


# --- parameters at and beyond their limits ------------------------------------------


def _limit_values(constraint):
    """Values at and beyond the limits of one scikit-learn Interval constraint."""
    kind = Integral if constraint.type is Integral else Real
    values = []
    for bound, closed in ((constraint.left, constraint.closed in ("left", "both")),
                          (constraint.right, constraint.closed in ("right", "both"))):
        if bound is None or not np.isfinite(bound):
            continue
        values.append(bound if closed else None)
        values.append(bound - 1 if bound == constraint.left else bound + 1)
    if kind is Real:
        values += [math.nan, math.inf, -math.inf, 1e300, 1e-300]
    else:
        values += [10**30, -(10**30), 1.5, True]
    return [v for v in values if v is not None]


# Values of shared parameters, beyond their Interval limits.
SHARED_VALUES = {
    "image_shape": [(3, 5), (0, 16), (-4, -4), (16,), "4x4", (4.0, 4.0), [4, 4],
                    np.array([4, 4]), (True, 16)],
    "pixel_size": [0.0, -1.0, math.nan, math.inf, 1e-320, 1e300, (1.0, 1e-300), (1.0,),
                   "1", [1.0, 2.0]],
}
# Parameter values whose run time grows without bound although they are legal (each
# iteration does some work): run with the largest value that keeps the matrix fast.
SLOW_PARAMETERS = {"max_iter", "n_neighbors"}


def _parameter_cases():
    for name in sorted(available_metrics()):
        metric = get_metric(name)
        params = metric.get_params()
        for param, constraints in type(metric)._parameter_constraints.items():
            if param not in params or param in SLOW_PARAMETERS:
                continue
            values = list(SHARED_VALUES.get(param, []))
            for constraint in constraints:
                if isinstance(constraint, Interval):
                    values += _limit_values(constraint)
            for value in values:
                entry = f"{type(metric).__name__}({param}={value!r})"
                yield pytest.param(type(metric), param, value, id=entry)


@pytest.mark.parametrize(("cls", "param", "value"), list(_parameter_cases()))
def test_parameter_limit(cls, param, value):
    X = _good(3)
    _assert_value_or_clear_error(lambda X: cls(**{param: value}).pairwise(X), X,
                                 f"{param}|{DTYPE}|{SHAPE}|memory", None)


TRANSFORMER_PARAMETERS = {
    skimgdist.Downscale: {"factor": [0, -1, 1.5, 10**9, (2, 0), math.nan],
                          "output_shape": [(0, 0), (10**6, 10**6), (2,), "2x2"]},
    skimgdist.GaussianBlur: {"sigma": [-1.0, math.nan, math.inf, 1e9, 1e300, (1.0, -1.0)],
                             "truncate": [0.0, -1.0, math.inf, 1e300]},
    skimgdist.Normalize: {"norm": ["l3", None], "zero_mass": ["nope"],
                          "clip_negative": ["yes"]},
}


@pytest.mark.parametrize(("cls", "param", "value"), [
    pytest.param(cls, param, value, id=f"{cls.__name__}({param}={value!r})")
    for cls, params in TRANSFORMER_PARAMETERS.items()
    for param, values in params.items() for value in values])
def test_transformer_parameter_limit(cls, param, value):
    _assert_value_or_clear_error(lambda X: cls(**{param: value}).fit_transform(X), _good(3),
                                 f"{param}|{SHAPE}|memory", None)


ENGINE_PARAMETERS = {
    "n_jobs": [0, 10**9, 1.5, "2"],
    "working_memory": [0, -1, math.nan, math.inf, 1e-300, 1e300],
    "metric": ["nonsense", 3, None],
}


@pytest.mark.parametrize(("param", "value"), [
    pytest.param(param, value, id=f"pairwise_distances({param}={value!r})")
    if not hasattr(value, "marks") else
    pytest.param(param, *value.values, marks=value.marks,
                 id=f"pairwise_distances({param}={value.values[0]!r})")
    for param, values in ENGINE_PARAMETERS.items() for value in values])
def test_engine_parameter_limit(param, value):
    _assert_value_or_clear_error(
        lambda X: skimgdist.pairwise_distances(X, **{param: value}), _good(3),
        f"{param}|metric", None)


DATASET_CALLS = {
    "n_per_class=0": ({"n_per_class": 0}, "n_per_class"),
    "n_per_class=-1": ({"n_per_class": -1}, "n_per_class"),
    "n_per_class=10**12": ({"n_per_class": 10**12}, "memory"),
    "n_classes=1": ({"n_classes": 1}, "n_classes"),
    "image_shape=(0, 4)": ({"image_shape": (0, 4)}, "image_shape"),
    "image_shape=(4,)": ({"image_shape": (4,)}, "image_shape"),
    "image_shape=(10**6, 10**6)": ({"image_shape": (10**6, 10**6)}, "memory"),
    "sigma=0": ({"sigma": 0.0}, "sigma"),
    "sigma=nan": ({"sigma": math.nan}, "sigma"),
    "sigma=1e-300": ({"sigma": 1e-300}, "sigma"),
    "noise=inf": ({"noise": math.inf}, "noise"),
    "jitter=1e300": ({"jitter": 1e300}, "jitter"),
    "random_state=-1": ({"random_state": -1}, "random_state|seed"),
}


@pytest.mark.parametrize(("params", "words"), list(DATASET_CALLS.values()),
                         ids=[f"make_blob_images({k})" for k in DATASET_CALLS])
def test_dataset_parameter_limit(params, words):
    _assert_value_or_clear_error(
        lambda _: datasets.make_blob_images(**{"n_per_class": 2, **params}).data, None, words,
        None)


def _write(tmp_path, name, content):
    path = tmp_path / name
    if isinstance(content, np.ndarray):
        np.save(path, content, allow_pickle=content.dtype == object)
    else:
        path.write_bytes(content)
    return path


IO_FILES = {
    "empty file.png": b"",
    "garbage.png": b"not an image at all",
    "text.npy": b"hello",
    "3d.npy": np.ones((2, 3, 4)),
    "complex.npy": np.ones((3, 3), dtype=complex),
    "strings.npy": np.array([["a", "b"]]),
    "object.npy": np.array([[1, None]], dtype=object),
    "datetime.npy": np.ones((3, 3)).astype("datetime64[s]"),
    "nan.npy": np.full((3, 3), np.nan),
    "empty.npy": np.ones((0, 3)),
}


@pytest.mark.parametrize("name", list(IO_FILES))
def test_read_image_on_bad_files(tmp_path, name):
    path = _write(tmp_path, name, IO_FILES[name])
    try:
        image = skimgdist.io.read_image(path)
    except skimgdist.io.ImageReadError as error:
        assert str(path) in str(error)
    else:
        assert image.ndim == 2 and image.dtype == np.float64


@pytest.mark.parametrize("arrays", [
    {}, {"X": np.ones((2, 4))}, {"X": np.ones((2, 4)), "y": [0]},
    {"X": np.ones((2, 4), dtype=complex), "y": [0, 1]},
    {"X": np.ones((2, 4)), "y": [0, 1], "image_shape": [0, 4]},
    {"X": np.ones((2, 4)), "y": [0, 1], "image_shape": [2.0, 2.0]},
    {"X": np.ones((2, 2, 2)), "y": [0, 1], "image_shape": [4, 1]},
    {"X": np.array(["a", "b"]), "y": [0, 1]},
], ids=["nothing", "no y", "short y", "complex X", "zero shape", "float shape",
        "disagreeing shape", "strings"])
def test_read_npz_on_bad_files(tmp_path, arrays):
    path = tmp_path / "data.npz"
    np.savez(path, **arrays)
    with pytest.raises(skimgdist.io.ImageReadError, match=str(path).replace("\\", "\\\\")):
        skimgdist.io.read_npz(path)


# --- the console script: a few representative cases (the CLI tests cover the rest) ---

CLI_CASES = {
    "missing file": ["compare", "no-such-file.png", "no-such-file.png"],
    "unknown metric": ["compare", "{a}", "{a}", "--metrics", "nonsense"],
    "nan image": ["compare", "{nan}", "{a}", "--metrics", "sliced_wasserstein"],
    "negative n_projections": ["compare", "{a}", "{a}", "--metrics",
                               "sliced_wasserstein:n_projections=-3"],
    "huge blur": ["compare", "{a}", "{a}", "--metrics", "total_variation", "--blur", "1e300"],
}


@pytest.mark.parametrize("arguments", list(CLI_CASES.values()), ids=list(CLI_CASES))
def test_console_script_reports_one_line(tmp_path, arguments):
    files = {"a": _write(tmp_path, "a.npy", _good(1)[0].reshape(SIDE, SIDE)),
             "nan": _write(tmp_path, "nan.npy", np.full((SIDE, SIDE), np.nan))}
    command = [sys.executable, "-m", "skimgdist",
               *[a.format(**files) for a in arguments]]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120,
                          cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stderr.strip(), "no message"
