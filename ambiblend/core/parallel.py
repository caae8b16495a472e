"""Worker processes for the batch script and ``training.extract``: clips in parallel, one
detector per process, results handed back in the clips' order.

    with WorkerPool(jobs, init=load_model, init_args=(options,)) as pool:
        for clip, outcome in pool.ordered(lift_one, clips):
            outcome.value  /  outcome.error (AmbiblendError text)  /  outcome.bug (traceback)

Processes are started with ``spawn`` (never ``fork``: MediaPipe, OpenCV and Blender hold
threads and locks a forked child would inherit half-held), so they also start from Blender's
own Python, whose ``sys.executable`` is the bundled interpreter; the workers never import
``bpy``. ``jobs=1`` runs in the calling process, exactly as without a pool. A worker that dies
(a crash inside a native library) fails its clip with a message, and the pool is started again
for the clips after it.
"""
from __future__ import annotations

import multiprocessing
import os
import time
import traceback
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from typing import Any, Callable, Iterable, Iterator

from .errors import AmbiblendError


def default_jobs() -> int:
    """The cores this process may run on (its affinity, else the machine's count)."""
    try:
        return max(len(os.sched_getaffinity(0)), 1)
    except AttributeError:  # macOS, Windows
        return max(os.cpu_count() or 1, 1)


@dataclass
class Outcome:
    """One task's result: ``value`` when it succeeded, else ``error`` (an AmbiblendError's
    message: a problem with the input) or ``bug`` (``"TypeName: message"``, with ``trace``)."""
    value: Any = None
    seconds: float = 0.0
    error: str | None = None
    bug: str | None = None
    trace: str = ""

    @property
    def ok(self) -> bool:
        return self.error is None and self.bug is None


def run_task(fn: Callable, *args) -> Outcome:
    """``fn(*args)`` with its failure caught as an ``Outcome`` (what a worker sends back)."""
    start = time.perf_counter()
    try:
        value = fn(*args)
    except AmbiblendError as exc:
        return Outcome(error=str(exc), seconds=time.perf_counter() - start)
    except Exception as exc:  # a bug of ours: sent back with its traceback, to be reported
        return Outcome(bug=f"{type(exc).__name__}: {exc}", trace=traceback.format_exc(),
                       seconds=time.perf_counter() - start)
    return Outcome(value=value, seconds=time.perf_counter() - start)


# Per-worker state made by the pool's ``init`` (a loaded model, say), passed to every task.
_state: Any = None


def _init_worker(init: Callable | None, init_args: tuple) -> None:
    global _state
    _state = init(*init_args) if init is not None else None


def _worker_task(fn: Callable, item) -> Outcome:
    return run_task(fn, item, _state)


class WorkerPool:
    """``jobs`` worker processes, each running ``init(*init_args)`` once (its result is the
    ``state`` every task gets: ``fn(item, state)``). ``fn`` and ``init`` must be module-level
    functions (they are pickled by name). With ``jobs=1`` nothing is started and tasks run here,
    unless ``in_process=False`` (one worker beside this process's own work)."""

    def __init__(self, jobs: int, init: Callable | None = None, init_args: tuple = (),
                 in_process: bool | None = None):
        if int(jobs) < 1:
            raise AmbiblendError(f"The number of jobs must be at least 1, got {jobs}.")
        self.jobs, self._init, self._init_args = int(jobs), init, tuple(init_args)
        self.in_process = self.jobs == 1 if in_process is None else bool(in_process)
        self._executor: ProcessPoolExecutor | None = None
        self._state = None
        self._local_ready = False

    def _start(self) -> ProcessPoolExecutor:
        if self._executor is None:
            self._executor = ProcessPoolExecutor(max_workers=self.jobs, mp_context=multiprocessing.get_context("spawn"),
                                                 initializer=_init_worker, initargs=(self._init, self._init_args))
        return self._executor

    def local_state(self):
        """The state for tasks run in this process (``jobs=1``), made on first use."""
        if not self._local_ready:
            self._state = self._init(*self._init_args) if self._init is not None else None
            self._local_ready = True
        return self._state

    def ordered(self, fn: Callable, items: Iterable) -> Iterator[tuple[Any, Outcome]]:
        """(item, Outcome) for each item, in the items' order, as each becomes available. All
        items are queued now, at the call, so that the workers never wait for the caller."""
        items = list(items)
        if self.in_process:
            return ((item, run_task(fn, item, self.local_state())) for item in items)
        return self._collect(fn, items, self._submit(fn, items, range(len(items))))

    def _collect(self, fn: Callable, items: list, pending: dict) -> Iterator[tuple[Any, Outcome]]:
        for i, item in enumerate(items):
            try:
                outcome = pending.pop(i).result()
            except BrokenProcessPool:
                # Every queued task fails with the pool, not only the one that crashed it: try
                # this item again alone in a fresh pool, so that only its own crash fails it,
                # then queue the rest again.
                waiting, broken = sorted(pending), False
                try:
                    outcome = self._submit(fn, items, [i], restart=True)[i].result()
                except BrokenProcessPool as exc:
                    outcome = Outcome(bug=f"the worker process died ({exc or 'killed or crashed'})")
                    broken = True
                pending = self._submit(fn, items, waiting, restart=broken)
            yield item, outcome

    def _submit(self, fn: Callable, items: list, indices, restart: bool = False) -> dict:
        if restart:
            self.close()
        executor = self._start()
        futures = {}
        for j in indices:
            try:
                futures[j] = executor.submit(_worker_task, fn, items[j])
            except BrokenProcessPool as exc:
                # A task queued a moment ago crashed its worker while the rest were queued:
                # these fail like the pool's other tasks, and ``_collect`` retries each.
                futures[j] = Future()
                futures[j].set_exception(exc)
        return futures

    def close(self) -> None:
        if self._executor is not None:
            executor, self._executor = self._executor, None
            if getattr(executor, "_broken", False):
                # Python 3.11's executor, once broken, joins its surviving workers without
                # stopping them, and they wait for work for ever: stop them first (a test hung).
                for process in list((getattr(executor, "_processes", None) or {}).values()):
                    process.terminate()
            executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
