"""Running a batch's targets — in this process, or N at a time in worker processes — and
stopping cleanly on SIGINT or SIGTERM.

Contract:
- ``run_all(targets, options, jobs)`` is a generator of ``(index, outcomes)``, one per target,
  as each finishes: in input order with ``jobs=1`` (run here), in completion order with more
  (``jobs`` worker processes, started with ``spawn``; Ctrl-C is ignored in them, so it never
  prints a worker's traceback).  The outcomes are the same either way, apart from timings.
  Close it (``contextlib.closing``) when done: closing it after an exception cancels the queued
  files and kills the running workers; closing it normally waits for the workers to exit.
- Inside ``with interrupts_raised():`` SIGINT and SIGTERM raise ``Interrupted`` in the main
  thread; its ``exit_status`` is 128 + the signal number (130, 143).  A signal the process was
  started with ignored (a background job's SIGINT) stays ignored.
- ``Finished`` collects the outcomes by index, and hands them out in input order.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from adcalc.errors import AdcalcError
from adcalc.ops import batch
from adcalc.ops.batch import Options, Outcome, Target

_SIGNALS = (signal.SIGINT, signal.SIGTERM)
_POLL_SECONDS = 0.25  # the parent wakes this often, so a signal is acted on whichever thread received it


class Interrupted(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived.  (A KeyboardInterrupt, so code that is not ours treats it as one.)"""

    def __init__(self, signum: int):
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_status(self) -> int:
        return 128 + self.signum

    @property
    def name(self) -> str:
        return signal.Signals(self.signum).name


def _raise_interrupted(signum: int, frame: object) -> None:
    raise Interrupted(signum)


@contextmanager
def interrupts_raised() -> Iterator[None]:
    """SIGINT and SIGTERM raise ``Interrupted`` inside the block (see the module contract)."""
    previous: dict[int, Any] = {}
    for sig in _SIGNALS:
        if signal.getsignal(sig) is not signal.SIG_IGN:
            previous[sig] = signal.signal(sig, _raise_interrupted)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler if handler is not None else signal.SIG_DFL)


class Finished:
    """The outcomes of the targets that finished, by index (``total`` targets in all)."""

    def __init__(self, total: int):
        self.total = total
        self.by_index: dict[int, list[Outcome]] = {}
        self.handed_out = 0  # targets 0 … handed_out-1 were given out by ``next_in_order``

    def add(self, index: int, outcomes: list[Outcome]) -> None:
        self.by_index[index] = outcomes

    @property
    def count(self) -> int:
        return len(self.by_index)

    def next_in_order(self) -> list[Outcome]:
        """The outcomes that now continue the input order, each handed out once."""
        out: list[Outcome] = []
        while self.handed_out in self.by_index:
            out.extend(self.by_index[self.handed_out])
            self.handed_out += 1
        return out

    def rest(self) -> list[Outcome]:
        """Every finished outcome not handed out yet, in input order (past any unfinished target)."""
        return [o for i in sorted(self.by_index) if i >= self.handed_out for o in self.by_index[i]]

    def outcomes(self) -> list[Outcome]:
        """Every finished outcome, in input order."""
        return [o for i in sorted(self.by_index) for o in self.by_index[i]]


def run_all(targets: list[Target], options: Options, jobs: int = 1) -> Iterator[tuple[int, list[Outcome]]]:
    """``(index, outcomes)`` for every target as it finishes (see the module contract)."""
    runnable = [i for i, t in enumerate(targets) if t.error is None]
    if jobs <= 1 or len(runnable) <= 1:
        for i, t in enumerate(targets):
            yield i, batch.run_target(t, options)
        return
    for i, t in enumerate(targets):
        if t.error is not None:
            yield i, batch.run_target(t, options)
    try:
        yield from _pooled(targets, runnable, options, min(jobs, len(runnable)))
    except _NoPool as e:
        sys.stderr.write(f"adcalc: cannot start worker processes ({e}); running the files one at a time\n")
        for i in runnable:
            yield i, batch.run_target(targets[i], options)


class _NoPool(Exception):
    """The worker processes could not be started (nothing has run in them)."""


def _pooled(targets: list[Target], indices: list[int], options: Options,
            workers: int) -> Iterator[tuple[int, list[Outcome]]]:
    """``(index, outcomes)`` from ``workers`` processes as each target finishes; ``_NoPool`` when
    they cannot be started."""
    from concurrent.futures import FIRST_COMPLETED, wait
    from concurrent.futures.process import BrokenProcessPool

    pool, finished = None, False
    try:
        try:
            with _quiet_start():
                pool = _new_pool(workers)
                futures = {pool.submit(_work, targets[i], options): i for i in indices}
        except (OSError, BrokenProcessPool) as e:
            raise _NoPool(str(e) or type(e).__name__) from None
        pending = set(futures)
        while pending:
            done, pending = wait(pending, timeout=_POLL_SECONDS, return_when=FIRST_COMPLETED)
            for f in sorted(done, key=futures.__getitem__):
                yield futures[f], _outcomes_of(f, targets[futures[f]])
        finished = True
    finally:
        if pool is not None:
            _stop(pool, finished)


@contextmanager
def _quiet_start() -> Iterator[None]:
    """While the pool starts its workers: SIGINT and SIGTERM are held back in this process (and
    its new threads), to be acted on when the block ends; and standard error is /dev/null, which
    the workers inherit — a Ctrl-C while one is still starting, before ``_worker_init`` makes it
    ignore Ctrl-C, ends that worker, but it prints no traceback.  (Ignoring SIGINT here instead
    would be inherited too, but would lose a Ctrl-C meant for this process.)"""
    blocked = signal.pthread_sigmask(signal.SIG_BLOCK, _SIGNALS)
    saved = _stderr_to_null()
    try:
        yield
    finally:
        _stderr_back(saved)
        signal.pthread_sigmask(signal.SIG_SETMASK, blocked)


def _stderr_to_null() -> int | None:
    """Point file descriptor 2 at /dev/null; its previous target, to restore (None: it could not)."""
    try:
        sys.stderr.flush()
        null = os.open(os.devnull, os.O_WRONLY)
    except (OSError, ValueError, AttributeError):
        return None
    try:
        saved = os.dup(2)
    except OSError:  # fd 2 is closed, or no descriptor is left
        os.close(null)
        return None
    os.dup2(null, 2)
    os.close(null)
    return saved


def _stderr_back(saved: int | None) -> None:
    if saved is not None:
        os.dup2(saved, 2)
        os.close(saved)


def _new_pool(workers: int) -> Any:
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"), initializer=_worker_init)


def _stop(pool: Any, finished: bool) -> None:
    """Shut the pool down: wait for idle workers to exit, or (cut short) cancel the queued files
    and kill the workers still running one."""
    if finished:
        pool.shutdown(wait=True)
        return
    processes = list((getattr(pool, "_processes", None) or {}).values())  # the only handle on the workers
    for p in processes:
        p.kill()
    # With its workers dead the pool's manager thread fails what is left and ends; joining it now
    # (rather than at interpreter exit, where Python 3.11 then writes to a closed pipe) is quick.
    pool.shutdown(wait=True, cancel_futures=True)


def _outcomes_of(future: Any, target: Target) -> list[Outcome]:
    """A worker's outcomes; a worker that died (killed, out of memory) is an error row."""
    from concurrent.futures.process import BrokenProcessPool

    try:
        return future.result()
    except BrokenProcessPool:
        e = AdcalcError("limit", "the worker process for this file stopped before it finished (killed, or out "
                        "of memory?)", hint="run it alone with --jobs 1")
        return [Outcome(target.path, None, "error", error=e)]


def _worker_init() -> None:
    """In each worker: Ctrl-C is the parent's business (it cancels the run and kills workers); and
    the parser and NumPy are loaded now, so a file's --timeout never pays for a worker's start."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _SIGNALS)
    import numpy  # noqa: F401 - loaded for its side effect (the array programs' backend)

    from adcalc.language.parser import get_parser

    get_parser()


def _work(target: Target, options: Options) -> list[Outcome]:
    """Run one target in a worker.  The outcomes go back to the parent through the pool's own pipe
    (multiprocessing serialises them between adcalc's own processes; nothing is ever read from a
    file), so each warning's IR instruction (``site``, meaningful in this process only) is dropped."""
    outcomes = batch.run_target(target, options)
    for o in outcomes:
        for w in o.result.warnings if o.result is not None else ():
            w.site = None
    return outcomes
