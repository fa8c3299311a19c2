"""Keeps the harness's own traffic under the target's rate limits, one budget per scope."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from lhv.core import announce

ANONYMOUS, AUTHENTICATED = "anonymous", "authenticated"


@dataclass(frozen=True)
class Budget:
    """At most `requests` sends in any `window_s` seconds."""

    requests: int
    window_s: float


def budgets_for(anonymous: int, authenticated: int, window_s: float, tolerance: int) -> dict[str, Budget]:
    """Returns budgets a little under the limits: the device may enforce N − tolerance, and it sees our
    requests a little later than we send them, so our window is longer by a margin."""
    margin = max(0.25, 0.05 * window_s)
    return {ANONYMOUS: Budget(max(1, anonymous - tolerance), window_s + margin),
            AUTHENTICATED: Budget(max(1, authenticated - tolerance), window_s + margin)}


class RatePacer:
    """Delays sends so that no scope exceeds its budget; remembers what was sent, paced or not."""

    def __init__(self, budgets: dict[str, Budget], *, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        self.budgets = budgets
        self._clock, self._sleep = clock, sleep
        self._sent: dict[str, deque[float]] = {scope: deque() for scope in budgets}
        self._lock = threading.Lock()
        self._announced: dict[str, float] = {}  # scope → when the wait last announced ends (threads share a wait)

    def _prune(self, scope: str, now: float) -> deque[float]:
        sent = self._sent[scope]
        while sent and sent[0] <= now - self.budgets[scope].window_s:
            sent.popleft()
        return sent

    def delay(self, scope: str) -> float:
        """Returns how long a send in scope must wait to stay within its budget."""
        with self._lock:
            now = self._clock()
            sent = self._prune(scope, now)
            budget = self.budgets[scope]
            if len(sent) < budget.requests:
                return 0.0
            return sent[-budget.requests] + budget.window_s - now

    def quiet_delay(self, scope: str) -> float:
        """Returns how long until no send of scope lies within its window (a quiet client)."""
        with self._lock:
            now = self._clock()
            sent = self._prune(scope, now)
            return sent[-1] + self.budgets[scope].window_s - now if sent else 0.0

    def record(self, scope: str, count: int = 1, ago_s: float = 0.0) -> None:
        """Notes sends made now or ago_s seconds ago (also those that bypass pacing, such as a burst)."""
        with self._lock:
            at = self._clock() - max(0.0, ago_s)
            sent = self._sent[scope]
            sent.extend([at] * count)
            if ago_s > 0 and len(sent) > count:  # keep the times in order: older entries before this burst
                self._sent[scope] = deque(sorted(sent))

    def saturate(self, scope: str, ago_s: float = 0.0) -> None:
        """Notes that the scope's whole budget was spent, now or ago_s seconds ago (a burst's last answer)."""
        self.record(scope, self.budgets[scope].requests, ago_s)

    def spent_for(self, scope: str, retry_after_s: float | None) -> None:
        """Notes a 429: the scope's budget is spent for retry_after_s more seconds, as the target said, or for a whole
        window when it said nothing usable (no Retry-After, a negative one, or one longer than the window)."""
        window = self.budgets[scope].window_s
        usable = retry_after_s is not None and 0 <= retry_after_s <= window
        self.saturate(scope, ago_s=window - retry_after_s if usable else 0.0)

    def before_send(self, scope: str) -> float:
        """Waits until a send fits the budget, records it, and returns the seconds waited."""
        waited = 0.0
        while (wait := self.delay(scope)) > 0:
            budget = self.budgets[scope]
            self._announce(scope, wait, f"the {scope} rate-limit budget ({budget.requests} requests per "
                                        f"{budget.window_s:g} s) to free up")
            self._sleep(wait)
            waited += wait
        self.record(scope)
        return waited

    def wait_quiet(self, scope: str) -> float:
        """Waits until the scope has been quiet for a whole window; returns the seconds waited."""
        wait = self.quiet_delay(scope)
        if wait > 0:
            self._announce(scope, wait, f"the {scope} rate-limit window (no {scope} request from the harness for "
                                        f"{self.budgets[scope].window_s:g} s)")
            self._sleep(wait)
        return max(0.0, wait)

    def _announce(self, scope: str, wait: float, reason: str) -> None:
        """Announces a long wait once, however many threads wait for the same moment."""
        until = self._clock() + wait
        with self._lock:
            if until <= self._announced.get(scope, float("-inf")) + 1:
                return
            self._announced[scope] = until
        announce.waiting(wait, reason)

    def retry_bound(self) -> float:
        """Returns the longest Retry-After a rate-limit 429 can legitimately ask for (one window, rounded up)."""
        return max(budget.window_s for budget in self.budgets.values()) + 1
