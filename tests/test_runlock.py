import json
import subprocess
import sys

import pytest

from ingest.runlock import LockHeld, RunLock


def test_second_run_is_refused_while_the_first_lives(tmp_path):
    path = tmp_path / "locks" / "demo.lock"
    holder = subprocess.Popen([sys.executable, "-c",
                               f"from ingest.runlock import RunLock; import time\n"
                               f"with RunLock({str(path)!r}): print('held', flush=True); time.sleep(30)"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(LockHeld, match=str(holder.pid)):
            RunLock(path).acquire()
    finally:
        holder.kill()
        holder.wait()
    # The holder died without releasing: its stale lock is taken over.
    lock = RunLock(path).acquire()
    assert lock.taken_over["pid"] == holder.pid
    lock.release()
    assert not path.exists()


def test_lock_is_released_on_exit(tmp_path):
    path = tmp_path / "site.lock"
    with RunLock(path):
        assert json.loads(path.read_text())["pid"] > 0
    assert not path.exists()
    with RunLock(path):
        pass
