"""A throwaway redis-server on a free loopback port (tests, benchmarks, trying the distributed
mode on one machine): no persistence, its files in a given folder, stopped on exit."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path

import redis

from ingest.serverprocess import ServerProcess, free_port


class LocalRedisError(RuntimeError):
    """redis-server is missing or did not start."""


class LocalRedis(ServerProcess):
    def __init__(self, work_dir: str | Path, password: str | None = None,
                 binary: str = "redis-server", startup_timeout: float = 15.0) -> None:
        self.work_dir = Path(work_dir).resolve()
        self.password = password
        self.binary = binary
        self.port = free_port()
        self.startup_timeout = startup_timeout
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self) -> LocalRedis:
        executable = shutil.which(self.binary)
        if executable is None:
            raise LocalRedisError(f"{self.binary} not found (Debian: apt-get install redis-server)")
        self.work_dir.mkdir(parents=True, exist_ok=True)
        command = [executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
                   "--appendonly", "no", "--dir", str(self.work_dir),
                   "--logfile", str(self.work_dir / "redis.log")]
        if self.password:
            command += ["--requirepass", self.password]
        self.process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + self.startup_timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise LocalRedisError(f"redis-server exited with {self.process.returncode}; "
                                      f"see {self.work_dir / 'redis.log'}")
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.5).ping()
                return self
            except redis.RedisError:
                time.sleep(0.05)
        self.stop()
        raise LocalRedisError(f"redis-server did not answer within {self.startup_timeout:.0f}s")
