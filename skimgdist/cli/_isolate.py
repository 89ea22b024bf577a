"""Run a computation in a forked child process that is stopped at a time limit.

A distance that turns out slower than expected (a large image, a solver that does not
converge) must not hold the command line for minutes: the parent waits at most
``seconds`` and then terminates the child.  Where ``fork`` does not exist (Windows), or the
child dies without an answer, the computation runs in-process without a limit.
"""

from __future__ import annotations

import multiprocessing
import traceback


class TimeLimitExceeded(Exception):
    """The child was still running at the time limit and was stopped."""


def _child(function, sender):
    try:
        sender.send(("ok", function()))
    except BaseException as error:  # sent back to the parent, which re-raises it
        try:
            sender.send(("error", error))
        except Exception:
            sender.send(("crash", traceback.format_exc()))
    finally:
        sender.close()


def call_with_time_limit(function, seconds):
    """``function()``, run in a forked child and stopped after ``seconds``.

    Exceptions raised by ``function`` are re-raised here.  Raises
    :class:`TimeLimitExceeded` when the child is stopped.
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        return function()
    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(function, sender), daemon=True)
    process.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            raise TimeLimitExceeded(seconds)
        try:
            status, payload = receiver.recv()
        except EOFError:
            # The child died without a word: typically an OpenMP runtime that the parent
            # had already started refuses to run after fork.  Run it here instead.
            status, payload = "in-process", None
    finally:
        if process.is_alive():
            process.terminate()
        process.join()
        receiver.close()
    if status == "ok":
        return payload
    if status == "in-process":
        return function()
    if status == "crash":
        raise RuntimeError(payload)
    raise payload
