"""One place for skimgdist's run-time configuration and shared resources.

- **Memory budget**: scikit-learn's ``working_memory`` (``sklearn.get_config()``,
  in MiB) is the one budget.  :func:`working_memory_bytes` sizes every chunk of
  temporaries, :func:`check_allocation` refuses, before allocating, any single
  array beyond it, and the shape-geometry caches together keep at most a quarter
  of it.
- **Shape-geometry cache**: :func:`geometry_cache` replaces ``functools.lru_cache``
  for arrays that depend on an image shape alone (pixel coordinates, sort orders,
  cost matrices, pooling plans).  Entries are evicted least recently used first
  when the total exceeds the budget, and :func:`clear_caches` empties them all.
- **Compiled kernels**: ``compiled_kernels`` (see :func:`set_config`) switches
  between the numba kernels (when numba is installed) and the NumPy routes that
  give the same numbers; :func:`compiled_kernel` is the one check every call site
  makes.
- **Threads inside one call**: large kernels split their work over the cores
  (:func:`kernel_threads`), except in threads that already run in parallel
  (:func:`single_threaded`, used by the engine's ``n_jobs`` workers).

Settings follow scikit-learn's ``get_config``/``set_config``/``config_context``:
thread-local, with a global default.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import wraps

import numpy as np
from sklearn import get_config as _sklearn_get_config

__all__ = [
    "check_allocation",
    "clear_caches",
    "compiled_kernel",
    "config_context",
    "geometry_cache",
    "get_config",
    "kernel_threads",
    "run_in_threads",
    "set_config",
    "single_threaded",
    "working_memory_bytes",
]

_global_config = {"compiled_kernels": True}
_threadlocal = threading.local()

# The caches keep at most this fraction of scikit-learn's working_memory.
_CACHE_SHARE = 0.25
# check_allocation never refuses an array this small, whatever the working_memory.
_ALWAYS_ALLOWED_BYTES = 64 * 2**20


def _local_config():
    if not hasattr(_threadlocal, "config"):
        _threadlocal.config = dict(_global_config)
    return _threadlocal.config


def get_config():
    """Current values of skimgdist's settings (see :func:`set_config`).

    Returns
    -------
    config : dict
        Keys are the parameter names of :func:`set_config`.

    Examples
    --------
    >>> import skimgdist
    >>> skimgdist.get_config()["compiled_kernels"]
    True
    """
    return dict(_local_config())


def set_config(compiled_kernels=None):
    """Set skimgdist's settings for the current thread (and as the default for new ones).

    The memory budget is scikit-learn's: set it with
    ``sklearn.set_config(working_memory=...)`` (MiB).

    Parameters
    ----------
    compiled_kernels : bool, default=None
        Use the compiled numba kernels when numba is installed (``True``, the
        default), or the NumPy routes that give the same numbers (``False``; for
        debugging, or to compare the two).  ``None`` leaves the setting unchanged.

    Examples
    --------
    >>> import skimgdist
    >>> skimgdist.set_config(compiled_kernels=False)
    >>> skimgdist.get_config()["compiled_kernels"]
    False
    >>> skimgdist.set_config(compiled_kernels=True)
    """
    if compiled_kernels is not None:
        if not isinstance(compiled_kernels, (bool, np.bool_)):
            raise TypeError(f"compiled_kernels must be True or False, got {compiled_kernels!r}.")
        _local_config()["compiled_kernels"] = bool(compiled_kernels)
        _global_config["compiled_kernels"] = bool(compiled_kernels)


@contextmanager
def config_context(*, compiled_kernels=None):
    """Temporarily change skimgdist's settings in the current thread.

    Parameters
    ----------
    compiled_kernels : bool, default=None
        See :func:`set_config`.

    Examples
    --------
    >>> import numpy as np
    >>> import skimgdist
    >>> x, y = np.eye(3).ravel(), np.ones(9)
    >>> with skimgdist.config_context(compiled_kernels=False):
    ...     numpy_route = skimgdist.sliced_wasserstein(x, y)
    >>> bool(np.isclose(numpy_route, skimgdist.sliced_wasserstein(x, y)))
    True
    """
    old_local, old_global = get_config(), dict(_global_config)
    try:
        if compiled_kernels is not None:
            if not isinstance(compiled_kernels, (bool, np.bool_)):
                raise TypeError(
                    f"compiled_kernels must be True or False, got {compiled_kernels!r}.")
            _local_config()["compiled_kernels"] = bool(compiled_kernels)
        yield
    finally:
        _local_config().update(old_local)
        _global_config.update(old_global)


def compiled_kernel(kernel):
    """``kernel`` when compiled kernels are switched on, else ``None`` (use the NumPy route).

    ``kernel`` is itself ``None`` when numba is not installed.

    Examples
    --------
    >>> from skimgdist._config import compiled_kernel, config_context
    >>> with config_context(compiled_kernels=False):
    ...     compiled_kernel(len) is None
    True
    """
    return kernel if _local_config()["compiled_kernels"] else None


_calling_thread = threading.local()
_kernel_pool = None


@contextmanager
def single_threaded():
    """Run the kernels serially in this thread, whatever the size of the work.

    For callers that already run in parallel (the engine's ``n_jobs`` workers):
    their own threads would only compete with each other for the cores, and
    numba's default thread pool does not accept parallel launches from several
    threads at once.

    Examples
    --------
    >>> from skimgdist._config import kernel_threads, single_threaded
    >>> with single_threaded():
    ...     kernel_threads(10**9)
    1
    """
    previous = getattr(_calling_thread, "serial", False)
    _calling_thread.serial = True
    try:
        yield
    finally:
        _calling_thread.serial = previous


def kernel_threads(work, threshold=1):
    """Threads a kernel may use for ``work`` units: one per ``threshold`` units, at most
    one per core, and one inside :func:`single_threaded`.

    Examples
    --------
    >>> from skimgdist._config import kernel_threads
    >>> kernel_threads(10, threshold=100)
    1
    """
    if getattr(_calling_thread, "serial", False):
        return 1
    return int(max(1, min(os.cpu_count() or 1, work // threshold)))


def run_in_threads(task, n_chunks):
    """Call ``task(chunk)`` for ``chunk`` in ``range(n_chunks)``, on a pool shared by
    every kernel (the tasks must release the GIL to run side by side).

    Examples
    --------
    >>> from skimgdist._config import run_in_threads
    >>> squares = [0] * 4
    >>> run_in_threads(lambda k: squares.__setitem__(k, k * k), 4)
    >>> squares
    [0, 1, 4, 9]
    """
    global _kernel_pool
    if n_chunks == 1:
        task(0)
        return
    if _kernel_pool is None:
        _kernel_pool = ThreadPoolExecutor(max_workers=os.cpu_count() or 1,
                                          thread_name_prefix="skimgdist-kernel")
    for future in [_kernel_pool.submit(task, chunk) for chunk in range(n_chunks)]:
        future.result()


def working_memory_bytes(cap_mib=None):
    """scikit-learn's ``working_memory`` in bytes, optionally capped at ``cap_mib`` MiB.

    Examples
    --------
    >>> import sklearn
    >>> from skimgdist._config import working_memory_bytes
    >>> with sklearn.config_context(working_memory=2):
    ...     working_memory_bytes(), working_memory_bytes(cap_mib=1)
    (2097152, 1048576)
    """
    mib = _sklearn_get_config()["working_memory"]
    if cap_mib is not None:
        mib = min(mib, cap_mib)
    return int(mib * 2**20)


def check_allocation(n_bytes, what, alternatives):
    """Refuse, before allocating, an array of ``n_bytes`` beyond the memory budget.

    Parameters
    ----------
    n_bytes : int or float
        Size of the array about to be allocated.
    what : str
        What the array holds, for the message (``"the blur kernel"``).
    alternatives : str
        What to do instead, for the message.

    Raises
    ------
    ValueError
        If ``n_bytes`` exceeds ``sklearn.get_config()["working_memory"]``.  Arrays of
        up to 64 MiB are always allowed: a small ``working_memory`` asks for small
        blocks, not for refusing small problems.

    Examples
    --------
    >>> from skimgdist._config import check_allocation
    >>> check_allocation(1e15, "the test array", "Ask for less.")
    Traceback (most recent call last):
    ...
    ValueError: the test array would need about 953,674,316 MiB, beyond the memory budget ...
    """
    budget = max(working_memory_bytes(), _ALWAYS_ALLOWED_BYTES)
    if n_bytes > budget:
        mib = n_bytes / 2**20
        raise ValueError(
            f"{what} would need about {f'{mib:,.0f}' if mib < 1e12 else f'{mib:.3g}'} MiB, "
            f"beyond the memory budget "
            f"of {budget / 2**20:,.0f} MiB (scikit-learn's working_memory). {alternatives} "
            f"If the memory is there, raise the budget with "
            f"sklearn.config_context(working_memory=<MiB>)."
        )


def machine_memory_bytes():
    """Physical memory of this machine in bytes (8 GiB where the system does not say).

    Examples
    --------
    >>> from skimgdist._config import machine_memory_bytes
    >>> machine_memory_bytes() > 0
    True
    """
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return 8 * 2**30


def check_input_size(n_bytes, what, alternatives):
    """Refuse, before reading, input data that would take over half the machine's memory.

    The images a user asks for are data, not temporaries: ``working_memory`` sizes the
    blocks they are processed in (:func:`check_allocation`), while the data itself may
    use the machine up to this limit.

    Parameters
    ----------
    n_bytes : int or float
        Size of the data once read.
    what : str
        What the data is, for the message.
    alternatives : str
        What to do instead, for the message.

    Raises
    ------
    ValueError
        If ``n_bytes`` exceeds half of :func:`machine_memory_bytes`.

    Examples
    --------
    >>> from skimgdist._config import check_input_size
    >>> check_input_size(1e15, "the test image", "Crop it.")
    Traceback (most recent call last):
    ...
    ValueError: the test image would need about 9.31e+05 GiB, over half of this machine's ...
    """
    machine = machine_memory_bytes()
    if n_bytes > machine / 2:
        raise ValueError(
            f"{what} would need about {n_bytes / 2**30:.3g} GiB, over half of this "
            f"machine's {machine / 2**30:.3g} GiB of memory. {alternatives}"
        )


class _GeometryCache:
    """Least-recently-used store of read-only arrays, bounded in bytes (thread-safe)."""

    def __init__(self):
        self._entries = OrderedDict()
        self._sizes = {}
        self._lock = threading.RLock()

    def get(self, key):
        with self._lock:
            if key not in self._entries:
                return None, False
            self._entries.move_to_end(key)
            return self._entries[key], True

    def put(self, key, value):
        size = _nbytes(value)
        budget = int(working_memory_bytes() * _CACHE_SHARE)
        with self._lock:
            if size > budget:
                return
            self._entries[key] = value
            self._sizes[key] = size
            self._entries.move_to_end(key)
            while self.nbytes > budget:
                oldest, _ = self._entries.popitem(last=False)
                del self._sizes[oldest]

    @property
    def nbytes(self):
        return sum(self._sizes.values())

    def clear(self):
        with self._lock:
            self._entries.clear()
            self._sizes.clear()


def _nbytes(value):
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, (tuple, list)):
        return sum(_nbytes(v) for v in value)
    if hasattr(value, "data") and hasattr(value, "indices"):  # a scipy sparse matrix
        return value.data.nbytes + value.indices.nbytes + value.indptr.nbytes
    return 64


_CACHE = _GeometryCache()


def geometry_cache(function):
    """Cache ``function``'s results (read-only arrays of a shape) in the shared bounded cache.

    Arguments must be hashable, as for ``functools.lru_cache``.  Results must not be
    written to by callers.

    Examples
    --------
    >>> import numpy as np
    >>> from skimgdist._config import geometry_cache
    >>> @geometry_cache
    ... def grid(n):
    ...     return np.arange(n)
    >>> grid(3) is grid(3)
    True
    """

    @wraps(function)
    def cached(*args):
        key = (function.__module__, function.__qualname__, args)
        value, hit = _CACHE.get(key)
        if not hit:
            value = function(*args)
            _CACHE.put(key, value)
        return value

    return cached


def clear_caches():
    """Free the memory held by skimgdist's shape-geometry caches.

    The caches (pixel coordinates, sliced sort orders, cost matrices, pooling
    plans, ...) keep at most a quarter of scikit-learn's ``working_memory``
    together; this empties them now.

    Returns
    -------
    freed : int
        Bytes released.

    Examples
    --------
    >>> import numpy as np
    >>> import skimgdist
    >>> _ = skimgdist.sliced_wasserstein(np.ones(16), np.eye(4).ravel())
    >>> skimgdist.clear_caches() > 0
    True
    """
    with _CACHE._lock:
        freed = _CACHE.nbytes
        _CACHE.clear()
    return freed
