"""A slow core job (detect → lift) on a worker thread, so Blender's UI stays live and the user
can cancel it.

The job only runs bpy-free core code; the Blender layer polls it from a modal operator's timer
and does every scene change itself, on the main thread, once the job has ended.
"""
from __future__ import annotations

import threading


class BackgroundJob:
    """Run ``work(progress)`` on a daemon thread.

    ``work`` receives a ``progress(done, total) -> bool`` callback (the one ``detect_video``
    takes): it records how far the job is and returns False once ``cancel()`` was called, which
    makes detection stop with ``DetectionCancelled``. After ``finished``, ``result`` holds what
    ``work`` returned, or ``error`` the exception it raised.
    """

    def __init__(self, work):
        self._work = work
        self._cancel = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ambiblend-lift", daemon=True)
        self.done = 0
        self.total = 0
        self.result = None
        self.error: BaseException | None = None

    def start(self) -> BackgroundJob:
        self._thread.start()
        return self

    def _progress(self, done: int, total: int) -> bool:
        self.done, self.total = done, total
        return not self._cancel.is_set()

    def _run(self) -> None:
        try:
            self.result = self._work(self._progress)
        except BaseException as exc:  # handed to the main thread, which reports or re-raises it
            self.error = exc

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    @property
    def finished(self) -> bool:
        return self._thread.ident is not None and not self._thread.is_alive()

    @property
    def fraction(self) -> float:
        """Share of the frames detected so far, 0 … 1 (0 while the total is unknown)."""
        return min(1.0, self.done / self.total) if self.total > 0 else 0.0

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends (or ``timeout`` seconds pass); True when it has ended."""
        self._thread.join(timeout)
        return self.finished
