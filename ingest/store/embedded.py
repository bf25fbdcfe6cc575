"""An embedded MongoDB-wire server (nx-27017, MongoDB's protocol over SQLite) for runs
without a MongoDB: same pymongo code path, data in a local folder.

It behaves like a local database server shared by every command on one data folder. In the
folder:

- `service.lock`: held (flock) while a command starts, adopts or stops the server;
- `server.lock`: held by the server process for its whole life, so "a server is alive" is
  a lock probe, immune to reused pids;
- `server.json`: the live server's pid, host and port, written by the server once it answers;
- `users/*.lock`: one per command using the server, held (flock) for the command's life.
  The kernel releases a lock when its holder dies, SIGKILL included.

A command adopts the live server or starts one (in its own session: a Ctrl-C meant for one
command does not stop the others' store); the last user to leave stops it. A server whose
users all died (SIGKILL, OOM killer) stops itself once it had no live user for its idle
time, and until then the next command simply adopts it.
"""

from __future__ import annotations

import argparse
import contextlib
import fcntl
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import pymongo
from pymongo.errors import PyMongoError

from ingest.serverprocess import free_port

logger = logging.getLogger(__name__)

SERVICE_LOCK = "service.lock"
SERVER_LOCK = "server.lock"
STATE_FILE = "server.json"
USERS = "users"
DEFAULT_IDLE_SECONDS = 30.0  # INGEST_EMBEDDED_IDLE_SECONDS
WATCH_INTERVAL = 0.5  # seconds between the server's checks of its users
STOP_TIMEOUT = 10.0  # seconds a server has to stop on SIGTERM before SIGKILL


class EmbeddedStoreError(RuntimeError):
    """The embedded server could not be started or reached."""


def _try_lock(stream: IO[Any]) -> bool:
    try:
        fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _held_by_someone(path: Path) -> bool:
    """Whether a live process holds the lock on `path` (probing takes it for an instant)."""
    try:
        with open(path, "a") as stream:
            if _try_lock(stream):
                fcntl.flock(stream, fcntl.LOCK_UN)
                return False
            return True
    except FileNotFoundError:
        return False


def live_users(folder: Path, remove_stale: bool = False) -> int:
    """Commands holding a user lock; with `remove_stale` (only under the service lock) the
    files of dead ones are removed."""
    count = 0
    for path in (folder / USERS).glob("*.lock"):
        if _held_by_someone(path):
            count += 1
        elif remove_stale:
            path.unlink(missing_ok=True)
    return count


def read_state(folder: Path) -> dict[str, Any] | None:
    try:
        state = json.loads((folder / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return state if isinstance(state, dict) else None


def server_alive(folder: Path) -> bool:
    return _held_by_someone(folder / SERVER_LOCK)


def _answers(uri: str, timeout_ms: int = 1000) -> bool:
    try:
        with pymongo.MongoClient(uri, serverSelectionTimeoutMS=timeout_ms, connectTimeoutMS=timeout_ms) as client:
            client.admin.command("ping")
        return True
    except PyMongoError:
        return False


@contextlib.contextmanager
def _service_lock(folder: Path, timeout: float) -> Iterator[None]:
    with open(folder / SERVICE_LOCK, "a") as stream:
        deadline = time.monotonic() + timeout
        while not _try_lock(stream):
            if time.monotonic() > deadline:
                raise EmbeddedStoreError(f"{folder / SERVICE_LOCK} stayed locked for {timeout:.0f}s")
            time.sleep(0.05)
        yield


class EmbeddedMongo:
    """A handle on the data folder's shared server: `start` adopts the live one or starts
    one, `stop` leaves it (stopping it when no other command uses it); `uri` is what
    pymongo connects to. `port` is only a wish for a server this handle starts."""

    def __init__(self, data_dir: str | Path, host: str = "127.0.0.1", port: int | None = None,
                 startup_timeout: float = 30.0, idle_timeout: float = DEFAULT_IDLE_SECONDS) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.host = host
        self.port = port
        self.startup_timeout = startup_timeout
        self.idle_timeout = idle_timeout
        self.server_pid: int | None = None
        self.adopted = False
        self._user: IO[Any] | None = None
        self._user_path: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://{self.host}:{self.port}/"

    def start(self) -> EmbeddedMongo:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        (self.data_dir / USERS).mkdir(exist_ok=True)
        with _service_lock(self.data_dir, self.startup_timeout + STOP_TIMEOUT):
            self._register()
            try:
                state = self._live_state()
                if state is None:
                    self._spawn()
                else:
                    self.adopted = True
                    self.server_pid, self.host, self.port = state["pid"], state["host"], state["port"]
            except BaseException:
                self._unregister()
                raise
        return self

    def _register(self) -> None:
        """A user lock, locked before it appears in users/ so no probe ever sees it free."""
        name = f"{os.getpid()}-{uuid.uuid4().hex[:8]}.lock"
        pending = self.data_dir / USERS / f".{name}"
        stream = open(pending, "w")
        fcntl.flock(stream, fcntl.LOCK_EX)
        stream.write(json.dumps({"pid": os.getpid(), "since": time.time()}))
        stream.flush()
        self._user_path = self.data_dir / USERS / name
        pending.rename(self._user_path)
        self._user = stream

    def _unregister(self) -> None:
        if self._user_path is not None:
            self._user_path.unlink(missing_ok=True)
        if self._user is not None:
            self._user.close()
        self._user = self._user_path = None

    def _live_state(self) -> dict[str, Any] | None:
        """The live server's state; waits while one is starting (its starter may have died
        before it answered) or is busy. One stuck before it ever answered is stopped."""
        deadline = time.monotonic() + self.startup_timeout
        while server_alive(self.data_dir):
            state = read_state(self.data_dir)
            if state and _answers(f"mongodb://{state['host']}:{state['port']}/", timeout_ms=2000):
                return state
            if time.monotonic() > deadline:
                if state:
                    raise EmbeddedStoreError(
                        f"the embedded server (pid {state.get('pid')}) of {self.data_dir} did not "
                        f"answer within {self.startup_timeout:.0f}s; see {self.data_dir / 'server.log'}")
                self._kill_stuck()
                return None
            time.sleep(0.1)
        return None

    def _kill_stuck(self) -> None:
        try:
            pid = int((self.data_dir / SERVER_LOCK).read_text().strip())
        except (OSError, ValueError):
            raise EmbeddedStoreError(f"a process holds {self.data_dir / SERVER_LOCK} but no server "
                                     f"answers; see {self.data_dir / 'server.log'}") from None
        logger.warning("embedded server pid %s never answered: stopping it", pid)
        self._terminate(pid)

    def _spawn(self) -> None:
        log = self.data_dir / "server.log"
        previous = read_state(self.data_dir)  # a crashed server's port: its users reconnect there
        ports = [self.port or (previous or {}).get("port") or free_port(self.host), free_port(self.host)]
        for port in ports:
            (self.data_dir / STATE_FILE).unlink(missing_ok=True)
            command = [sys.executable, "-m", "ingest.store.embedded", "--data-dir", str(self.data_dir),
                       "--host", self.host, "--port", str(port), "--idle-timeout", str(self.idle_timeout)]
            with open(log, "ab") as log_stream:
                self._process = subprocess.Popen(
                    command, stdin=subprocess.DEVNULL, stdout=log_stream, stderr=subprocess.STDOUT,
                    start_new_session=True, cwd=self.data_dir,
                    env={**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [
                        str(Path(__file__).resolve().parents[2]), os.environ.get("PYTHONPATH")]))})
            if self._wait_until_answering(self._process):
                state = read_state(self.data_dir) or {}
                self.server_pid, self.port = self._process.pid, state.get("port", port)
                return
        raise EmbeddedStoreError(f"embedded MongoDB-wire server exited with {self._process.returncode}; "
                                 f"see {log}")

    def _wait_until_answering(self, process: subprocess.Popen[bytes]) -> bool:
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if process.poll() is not None:
                return False
            state = read_state(self.data_dir)
            if state and state.get("pid") == process.pid and \
                    _answers(f"mongodb://{state['host']}:{state['port']}/"):
                return True
            time.sleep(0.05)
        self._terminate(process.pid)
        raise EmbeddedStoreError(f"embedded server did not answer within {self.startup_timeout:.0f}s; "
                                 f"see {self.data_dir / 'server.log'}")

    def _terminate(self, pid: int) -> None:
        """SIGTERM, then SIGKILL; done once the server's lock is free (a zombie holds none)."""
        for sig, wait in ((signal.SIGTERM, STOP_TIMEOUT), (signal.SIGKILL, STOP_TIMEOUT)):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, sig)
            deadline = time.monotonic() + wait
            while time.monotonic() < deadline:
                if self._process is not None and self._process.pid == pid:
                    self._process.poll()  # reaps our own child
                if not server_alive(self.data_dir):
                    (self.data_dir / STATE_FILE).unlink(missing_ok=True)
                    return
                time.sleep(0.05)
        raise EmbeddedStoreError(f"embedded server pid {pid} did not stop")

    def stop(self) -> None:
        """Leave the server; the last user stops it."""
        if self._user is None:
            return
        with _service_lock(self.data_dir, 2 * STOP_TIMEOUT + self.startup_timeout):
            self._unregister()
            if live_users(self.data_dir, remove_stale=True) == 0 and server_alive(self.data_dir):
                state = read_state(self.data_dir)
                if state and state.get("pid"):
                    self._terminate(int(state["pid"]))
        if self._process is not None:
            self._process.poll()
            self._process = None

    def __enter__(self) -> EmbeddedMongo:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()


# --- the server process ---------------------------------------------------------------------


def _accepts(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=0.5):
            return True
    except OSError:
        return False


class Watchdog(threading.Thread):
    """Inside the server: publishes server.json once the port accepts connections, then
    stops the server after `idle_timeout` seconds without a live user."""

    def __init__(self, folder: Path, host: str, port: int, idle_timeout: float) -> None:
        super().__init__(name="embedded-watchdog", daemon=True)
        self.folder, self.host, self.port, self.idle_timeout = folder, host, port, idle_timeout

    def run(self) -> None:
        while not _accepts(self.host, self.port):
            time.sleep(0.05)
        state = {"pid": os.getpid(), "host": self.host, "port": self.port, "started": time.time()}
        pending = self.folder / f".{STATE_FILE}.{os.getpid()}"
        pending.write_text(json.dumps(state))
        pending.replace(self.folder / STATE_FILE)
        idle_since = time.monotonic()
        while True:
            time.sleep(WATCH_INTERVAL)
            if live_users(self.folder):
                idle_since = time.monotonic()
            elif time.monotonic() - idle_since >= self.idle_timeout and self._stop_if_still_idle():
                return

    def _stop_if_still_idle(self) -> bool:
        """Under the service lock, kept until this process exits, so no command adopts a
        server that is going away."""
        stream = open(self.folder / SERVICE_LOCK, "a")
        if not _try_lock(stream):  # a command is starting, adopting or stopping: look again later
            stream.close()
            return False
        if live_users(self.folder, remove_stale=True):
            stream.close()
            return False
        logging.getLogger("nx_27017").info("no live user for %.0fs: stopping", self.idle_timeout)
        (self.folder / STATE_FILE).unlink(missing_ok=True)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(STOP_TIMEOUT)
        os._exit(0)


def _exit_on_signal(signum: int, frame: Any) -> None:
    sys.exit(0)


def serve(argv: list[str] | None = None) -> int:
    """The server process: `python -m ingest.store.embedded --data-dir D --port P`."""
    parser = argparse.ArgumentParser(prog="ingest.store.embedded")
    parser.add_argument("--data-dir", type=Path, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--idle-timeout", type=float, default=DEFAULT_IDLE_SECONDS)
    args = parser.parse_args(argv)
    folder = args.data_dir.resolve()
    server_lock = open(folder / SERVER_LOCK, "a")
    deadline = time.monotonic() + 1.0  # a command may be probing the lock this instant
    while not _try_lock(server_lock) and time.monotonic() < deadline:
        time.sleep(0.05)
    if not _try_lock(server_lock):
        print(f"another server holds {folder / SERVER_LOCK}", file=sys.stderr)
        return 3
    server_lock.truncate(0)
    server_lock.write(str(os.getpid()))
    server_lock.flush()
    logging.basicConfig(level=logging.INFO, stream=sys.stdout,
                        format="%(asctime)s - %(name)s - %(levelname)s - [%(process)d] - %(message)s")
    from neosqlite.options import JournalMode
    from nx_27017.daemon import run_server_sync

    signal.signal(signal.SIGTERM, _exit_on_signal)
    signal.signal(signal.SIGINT, _exit_on_signal)
    Watchdog(folder, args.host, args.port, args.idle_timeout).start()
    run_server_sync(argparse.Namespace(
        db_path="nx-27017.db", data_dir=str(folder), single_db_compat=False, host=args.host,
        port=args.port, fts5_tokenizers=None, journal_mode=JournalMode.validate("WAL"),
        threaded=False, verbose=False))
    return 0


if __name__ == "__main__":
    sys.exit(serve())
