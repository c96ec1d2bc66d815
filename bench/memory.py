"""Resident memory and CPU time of the processes under test, from /proc (Linux only)."""

import os
import threading
from dataclasses import dataclass
from pathlib import Path

PROC = Path("/proc")


def status_kb(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM of a process in kB ({} if it is gone)."""
    values = {}
    try:
        text = (PROC / str(pid) / "status").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return values
    for line in text.splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmRSS", "VmHWM"):
            values[key] = int(rest.split()[0])
    return values


_TICKS = os.sysconf("SC_CLK_TCK")


def _stat_fields(pid: int) -> list[str] | None:
    try:
        stat = (PROC / str(pid) / "stat").read_text()
    except (FileNotFoundError, ProcessLookupError, PermissionError):
        return None
    # The command name may contain spaces and parentheses: fields follow the last ')'.
    return stat[stat.rfind(")") + 2 :].split()


def cpu_seconds(pids) -> dict[int, float]:
    """User + system CPU seconds consumed so far by each pid still alive."""
    out = {}
    for pid in pids:
        fields = _stat_fields(pid)
        if fields is not None:
            out[pid] = (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime
    return out


def cpu_delta(before: dict[int, float], after: dict[int, float]) -> float:
    """CPU seconds spent between two snapshots (a pid born in between counts in full)."""
    return sum(t - before.get(pid, 0.0) for pid, t in after.items())


def children(ppid: int) -> list[int]:
    """Pids whose parent is `ppid` (gunicorn workers are the master's direct children)."""
    found = []
    for entry in PROC.iterdir():
        if not entry.name.isdigit():
            continue
        fields = _stat_fields(int(entry.name))
        if fields is not None and int(fields[1]) == ppid:
            found.append(int(entry.name))
    return sorted(found)


@dataclass
class WorkerMemory:
    pid: int
    hwm_mb: float | None  # VmHWM read at the end (None: the worker had exited by then)
    max_rss_mb: float  # highest VmRSS seen by the sampler

    @property
    def peak_mb(self) -> float:
        return max(self.hwm_mb or 0.0, self.max_rss_mb)


class MemorySampler:
    """Sample every worker's VmRSS every `interval_s` seconds in a background thread."""

    def __init__(self, master_pid: int, interval_s: float = 0.5):
        self.master_pid, self.interval_s = master_pid, interval_s
        self.max_rss_kb: dict[int, int] = {}
        self.master_max_kb = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="memory-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _sample(self) -> None:
        for pid in children(self.master_pid):
            rss = status_kb(pid).get("VmRSS", 0)
            self.max_rss_kb[pid] = max(self.max_rss_kb.get(pid, 0), rss)
        self.master_max_kb = max(self.master_max_kb, status_kb(self.master_pid).get("VmRSS", 0))

    def _loop(self) -> None:
        while not self._stop.is_set():
            self._sample()
            self._stop.wait(self.interval_s)

    def stop(self) -> tuple[list[WorkerMemory], WorkerMemory]:
        """Stop sampling; return every worker seen (VmHWM read now) and the master."""
        self._stop.set()
        self._thread.join(timeout=5)
        self._sample()
        workers = []
        for pid, rss_kb in sorted(self.max_rss_kb.items()):
            hwm = status_kb(pid).get("VmHWM")
            workers.append(WorkerMemory(pid, hwm / 1024 if hwm else None, rss_kb / 1024))
        master_hwm = status_kb(self.master_pid).get("VmHWM")
        master = WorkerMemory(
            self.master_pid, master_hwm / 1024 if master_hwm else None, self.master_max_kb / 1024
        )
        return workers, master
