"""Small shared helpers: free ports, bounded waits, log directory, process reaping.

Every helper that waits takes a timeout; every subprocess started by the harness is
registered here so that an ``atexit`` hook kills whatever a crashed test left behind.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable, TypeVar

T = TypeVar("T")

E2E_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = E2E_DIR.parent.parent
LOGS_ROOT = E2E_DIR / ".logs"
# One directory per process (runs may overlap: a developer and CI, two sessions...);
# `.logs/latest` points at the newest. E2E_LOG_DIR overrides.
LOG_DIR = Path(os.environ.get("E2E_LOG_DIR", LOGS_ROOT / f"run-{os.getpid()}"))

# Loopback only: nothing in this suite ever talks to anything but 127.0.0.1.
HOST = "127.0.0.1"


def log_dir() -> Path:
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    return LOG_DIR


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def prune_old_logs() -> None:
    """Delete the log directories of runs whose process is gone; point `latest` here."""
    import shutil

    LOGS_ROOT.mkdir(parents=True, exist_ok=True)
    for d in LOGS_ROOT.glob("run-*"):
        try:
            pid = int(d.name.removeprefix("run-"))
        except ValueError:
            continue
        if d.is_dir() and pid != os.getpid() and not _pid_alive(pid):
            shutil.rmtree(d, ignore_errors=True)
    for f in LOGS_ROOT.iterdir():  # loose files of an older layout, once they are stale
        if f.is_file() and not f.is_symlink() and time.time() - f.stat().st_mtime > 600:
            f.unlink(missing_ok=True)
    here = log_dir()
    latest = LOGS_ROOT / "latest"
    try:
        if latest.is_symlink() or latest.exists():
            latest.unlink()
        latest.symlink_to(here.name if here.parent == LOGS_ROOT else here)
    except OSError:
        pass


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def closed_port() -> int:
    """A port that refuses connections (bound then released, nobody listening)."""
    return free_port()


def port_open(port: int, host: str = HOST, timeout: float = 0.2) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


class StopWaiting(Exception):
    """Raised by a polled predicate to abort ``wait_for`` at once (e.g. the process died)."""


def wait_for(predicate: Callable[[], T], timeout: float, interval: float = 0.05, what: str = "condition") -> T:
    """Poll ``predicate`` until it returns a truthy value; raise TimeoutError after ``timeout`` s."""
    deadline = time.monotonic() + timeout
    last_exc: Exception | None = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except StopWaiting:
            raise
        except Exception as exc:  # noqa: BLE001 - polled predicates may fail while starting
            last_exc = exc
        if time.monotonic() >= deadline:
            raise TimeoutError(f"timed out after {timeout}s waiting for {what}" + (f" (last error: {last_exc!r})" if last_exc else ""))
        time.sleep(interval)


_PROCS: list[subprocess.Popen] = []
_PROCS_LOCK = threading.Lock()


def register_process(proc: subprocess.Popen) -> subprocess.Popen:
    with _PROCS_LOCK:
        _PROCS.append(proc)
    return proc


def stop_process(proc: subprocess.Popen, timeout: float = 10.0) -> int | None:
    """SIGTERM, wait up to ``timeout``, then SIGKILL. Only ever touches ``proc`` (its own pid)."""
    if proc.poll() is None:
        try:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass
        except ProcessLookupError:
            pass
    with _PROCS_LOCK:
        if proc in _PROCS:
            _PROCS.remove(proc)
    return proc.returncode


@atexit.register
def _reap_all() -> None:
    with _PROCS_LOCK:
        procs = list(_PROCS)
    for proc in procs:
        try:
            stop_process(proc, timeout=5)
        except Exception:  # noqa: BLE001 - best effort at interpreter exit
            pass
