"""The one deadline and kill helper: a child stops at its wall-clock limit or when the user
cancels, and always as a whole (a module may have started children of its own): the cold
sandbox kills bwrap's process group, which ends the box's PID namespace; the warm one asks
the warm parent, inside the box, to kill the run.

Used by the cold sandbox (`limits.run_python`), the warm one (`warm.run_module`), the warm
parent (`children.zygote`) and the optimizer's worker process.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

POLL_SECONDS = 0.05


def kill_group(pid: int, sig: int = signal.SIGKILL) -> None:
    """Signal the process group `pid` leads; nothing if it is gone already."""
    try:
        os.killpg(pid, sig)
    except OSError:  # ProcessLookupError, or PermissionError for a group already reaped
        pass


@dataclass
class Deadline:
    """When a run must stop: `seconds` after it started (None: never), or on `cancel`."""

    seconds: float | None
    cancel: threading.Event | None = None
    started: float = field(default_factory=time.monotonic)

    def why_stop(self) -> str | None:
        """"cancelled", "timeout", or None while the run may go on."""
        if self.cancel is not None and self.cancel.is_set():
            return "cancelled"
        if self.seconds is not None and time.monotonic() - self.started > self.seconds:
            return "timeout"
        return None

    def remaining(self) -> float | None:
        if self.seconds is None:
            return None
        return max(0.0, self.seconds - (time.monotonic() - self.started))

    def pause(self, seconds: float = POLL_SECONDS) -> None:
        """Sleep a poll interval, waking early on cancel."""
        if self.cancel is not None:
            self.cancel.wait(seconds)
        else:
            time.sleep(seconds)


def watch(kill: Callable[[], None], wait_end: Callable[[float], bool], deadline: Deadline
          ) -> str | None:
    """Wait for the run to end (`wait_end(seconds)` waits at most that long, True once it has
    ended); `kill` it once the deadline says stop, and once more at the end for the
    grandchildren it left behind. Returns why it was killed, or None."""
    killed: str | None = None
    while not wait_end(POLL_SECONDS):
        if killed is None:
            killed = deadline.why_stop()
            if killed:
                kill()
    kill()
    return killed
