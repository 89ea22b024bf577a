"""Run a computation in a forked child process that is stopped at a time limit.

A distance that turns out slower than expected (a large image, a solver that does not
converge) must not hold the command line for minutes, and one that crashes the process
(a segmentation fault in compiled code, the kernel's out-of-memory killer) must not take
the command line with it.  The child runs ``function(notify)``; the clock starts when
the child calls ``notify("ready")`` (after warming compiled kernels up, which may take
many seconds on a cold cache and says nothing about the time per pair), or at the start
when it never does; ``notify(kind, value)`` passes anything else on to the parent's
``on_message`` (such as an estimate of the time left, for a progress bar).  A crashed
child is reported as :class:`ChildCrashed`, never re-run in the parent.  Where ``fork``
does not exist (Windows), the computation runs in-process without a limit.
"""

from __future__ import annotations

import multiprocessing
import signal
import time

# Longest warm-up (numba compilation of a metric's kernels on a cold cache) that is
# not counted against the time limit.
WARM_UP_LIMIT = 120.0
_POLL_SECONDS = 0.2


class TimeLimitExceeded(Exception):
    """The child was still running at the time limit and was stopped."""


class ChildCrashed(Exception):
    """The child process died without an answer (a signal such as SIGSEGV or SIGKILL)."""


def _child(function, sender):
    # Ctrl-C reaches the whole process group; the parent stops this child itself.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        result = ("ok", function(lambda kind, value=None: sender.send((kind, value))))
    except BaseException as error:  # sent to the parent, which re-raises it
        result = ("error", error)
    try:
        sender.send(result)
    except Exception as error:  # an unpicklable exception: send its text
        sender.send(("error", RuntimeError(f"{type(result[1]).__name__}: {result[1]}"
                                           if result[0] == "error" else str(error))))
    finally:
        sender.close()


def _describe_exit(exitcode):
    if exitcode is not None and exitcode < 0:
        try:
            name = signal.Signals(-exitcode).name
        except ValueError:
            name = f"signal {-exitcode}"
        hint = " (out of memory?)" if name == "SIGKILL" else ""
        return f"the computation crashed: its process was killed by {name}{hint}"
    return f"the computation crashed: its process exited with status {exitcode}"


def call_with_time_limit(function, seconds, *, tick=None, on_message=None):
    """``function(notify)`` in a forked child, stopped ``seconds`` after it is ready.

    Parameters
    ----------
    function : callable
        Called with one argument, ``notify(kind, value=None)``: the computation calls
        ``notify("ready")`` once its warm-up is done, and the time limit counts from
        then (or from the start, if never called; the warm-up itself may take at most
        ``WARM_UP_LIMIT`` seconds).  Other kinds go to ``on_message``.
    seconds : float
        The time limit.
    tick : callable, optional
        Called about five times a second while waiting (a progress display).
    on_message : callable, optional
        ``on_message(kind, value)`` for each other message of the child.

    Returns
    -------
    The value ``function`` returned.  Its exceptions are re-raised here;
    :class:`TimeLimitExceeded` when the child is stopped, :class:`ChildCrashed` when it
    died without an answer.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        return function(lambda kind, value=None: on_message and kind != "ready"
                        and on_message(kind, value))
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(function, sender), daemon=True)
    process.start()
    sender.close()
    try:
        deadline = time.monotonic() + max(seconds, WARM_UP_LIMIT)
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeLimitExceeded(seconds)
            if not receiver.poll(min(remaining, _POLL_SECONDS)):
                if tick is not None:
                    tick()
                continue
            try:
                status, payload = receiver.recv()
            except EOFError:
                process.join()
                raise ChildCrashed(_describe_exit(process.exitcode)) from None
            if status == "ready":
                deadline = time.monotonic() + seconds
            elif status not in ("ok", "error"):
                if on_message is not None:
                    on_message(status, payload)
            else:
                break
    finally:
        if process.is_alive():
            process.terminate()
        process.join()
        receiver.close()
    if status == "ok":
        return payload
    raise payload
