"""An embedded MongoDB-wire server (nx-27017, MongoDB's protocol over SQLite) for runs
without a MongoDB: same pymongo code path, data in a local folder."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pymongo
from pymongo.errors import PyMongoError

from ingest.serverprocess import ServerProcess, free_port


class EmbeddedStoreError(RuntimeError):
    """The embedded server did not start."""


class EmbeddedMongo(ServerProcess):
    """Start nx-27017 on a free loopback port; `uri` is what pymongo connects to."""

    def __init__(self, data_dir: str | Path, host: str = "127.0.0.1", port: int | None = None,
                 startup_timeout: float = 30.0) -> None:
        self.data_dir = Path(data_dir).resolve()
        self.host = host
        self.port = port or free_port(host)
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def uri(self) -> str:
        return f"mongodb://{self.host}:{self.port}/"

    def start(self) -> EmbeddedMongo:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        log = self.data_dir / "server.log"
        command = [
            sys.executable, "-c", "from nx_27017.nx_27017 import main; main()",
            "--data-dir", str(self.data_dir), "--host", self.host, "--port", str(self.port),
            "--log-file", str(log), "--pid-file", str(self.data_dir / "server.pid"),
        ]
        with open(log, "ab") as log_stream:
            self.process = subprocess.Popen(command, stdout=log_stream, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EmbeddedStoreError(
                    f"embedded MongoDB-wire server exited with {self.process.returncode}; see {log}"
                )
            if self._answers():
                return self
            time.sleep(0.1)
        self.stop()
        raise EmbeddedStoreError(f"embedded server did not answer on {self.uri} within "
                                 f"{self.startup_timeout:.0f}s; see {log}")

    def _answers(self) -> bool:
        try:
            with pymongo.MongoClient(self.uri, serverSelectionTimeoutMS=300) as client:
                client.admin.command("ping")
            return True
        except PyMongoError:
            return False
