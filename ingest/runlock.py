"""One scheduled run per site at a time: an exclusive lock file holding the owner's pid.

A lock left by a process that no longer exists (killed, machine rebooted) is taken over."""

from __future__ import annotations

import json
import os
import socket
import time
from pathlib import Path
from types import TracebackType


class LockHeld(RuntimeError):
    """Another live process is running this site's crawl."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class RunLock:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self.taken_over: dict | None = None

    def acquire(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        owner = {"pid": os.getpid(), "host": socket.gethostname(), "since": time.time()}
        for _ in range(2):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = self._holder()
                if holder and holder.get("host") == socket.gethostname() and _alive(int(holder["pid"])):
                    raise LockHeld(f"{self.path} is held by pid {holder['pid']} "
                                   f"since {time.ctime(holder.get('since', 0))}") from None
                if holder and holder.get("host") != socket.gethostname():
                    raise LockHeld(f"{self.path} is held by {holder.get('host')} pid "
                                   f"{holder.get('pid')}; remove it if that host is gone") from None
                self.taken_over = holder or {}
                self.path.unlink(missing_ok=True)
                continue
            with os.fdopen(fd, "w") as stream:
                json.dump(owner, stream)
            return self
        raise LockHeld(f"could not take {self.path}")

    def _holder(self) -> dict | None:
        try:
            return json.loads(self.path.read_text())
        except (OSError, ValueError):
            return None  # unreadable: written by a process that died mid-write

    def release(self) -> None:
        holder = self._holder()
        if holder and holder.get("pid") == os.getpid():
            self.path.unlink(missing_ok=True)

    def __enter__(self) -> RunLock:
        return self.acquire()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.release()
