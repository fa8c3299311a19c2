"""Peak resident memory of a process tree, sampled from each process's high-water mark (VmHWM)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROLES = (("lhv.device", "device"), ("locust", "Locust"), ("sslyze", "sslyze"))


@dataclass
class ProcessPeak:
    """One process's highest resident memory seen, and what it is."""

    pid: int
    role: str
    command: str
    peak_kib: int = 0


@dataclass
class TreeSampler:
    """Reads VmHWM of a process and all its descendants every interval until stopped.

    VmHWM is the kernel's own peak of a process's resident set, so a short spike between two samples is
    still counted; only the last moments of a process that ends between two samples can be missed.
    """

    root_pid: int
    interval_s: float = 0.05
    peaks: dict[int, ProcessPeak] = field(default_factory=dict)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def __enter__(self) -> TreeSampler:
        self._thread = threading.Thread(target=self._run, name="rss-sampler", daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def role_peaks_mib(self) -> dict[str, tuple[float, int]]:
        """Returns, per role, the largest single process's peak in MiB and how many processes had that role."""
        result: dict[str, tuple[float, int]] = {}
        for peak in self.peaks.values():
            largest, count = result.get(peak.role, (0.0, 0))
            result[peak.role] = (max(largest, peak.peak_kib / 1024), count + 1)
        return result

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval_s)

    def sample(self) -> None:
        """Reads the high-water mark of every process in the tree once."""
        try:
            root = psutil.Process(self.root_pid)
            processes = [root, *root.children(recursive=True)]
        except psutil.Error:
            return
        for process in processes:
            peak_kib = _vm_hwm_kib(process.pid)
            if peak_kib is None:
                continue
            known = self.peaks.get(process.pid)
            if known is None:
                try:
                    command = " ".join(process.cmdline())
                except psutil.Error:
                    continue
                known = self.peaks[process.pid] = ProcessPeak(process.pid, _role(process.pid, self.root_pid,
                                                                                   command), command)
            known.peak_kib = max(known.peak_kib, peak_kib)


def _role(pid: int, root_pid: int, command: str) -> str:
    if pid == root_pid:
        return "harness"
    known = next((role for marker, role in ROLES if marker in command), None)
    if known:
        return known
    words = command.split()
    program = words[words.index("-m") + 1] if "-m" in words[:-1] else Path(words[0]).name if words else "?"
    return f"other ({program})"


def _vm_hwm_kib(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None
