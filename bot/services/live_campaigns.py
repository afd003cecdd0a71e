"""The active campaigns as the people and processes that send see them: which campaign,
and so which compliance profile, governs a message at send time and a reply's answer."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Mapping

from bot.campaigns.model import Campaign
from bot.services.campaign_book import CampaignBook


class LiveCampaigns:
    """A :class:`CampaignBook` over the active campaign versions in the database.

    Read again as soon as this process changes a campaign's status (``generation``
    moves) and, for changes made by other processes, at most ``recheck_seconds`` after
    the last read: a worker renders and checks with the profile of the version active
    then, without a query per message."""

    def __init__(self, read: Callable[[], Mapping[str, Campaign]],
                 generation: Callable[[], int], jurisdiction: str | None = None, *,
                 recheck_seconds: float = 5.0,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        """``read``: the active campaigns; ``generation``: a number that changes
        whenever this process changes a campaign's status."""
        self._read = read
        self._generation = generation
        self.jurisdiction = jurisdiction
        self.recheck_seconds = recheck_seconds
        self._monotonic = monotonic
        self._book: CampaignBook | None = None
        self._seen = -1
        self._read_at = -math.inf
        self._reading = threading.Lock()

    def _stale(self, now: float, generation: int) -> bool:
        return (self._book is None or generation != self._seen
                or now - self._read_at >= self.recheck_seconds)

    def book(self) -> CampaignBook:
        """The book over the campaigns active now (as of at most ``recheck_seconds``).

        Safe from several threads (a web server handles webhooks in a thread pool): one
        thread reads the database while the others keep the book they had until it is
        done, so a stale book never sends every thread to the database at once."""
        now = self._monotonic()
        generation = self._generation()
        if not self._stale(now, generation):
            assert self._book is not None
            return self._book
        if not self._reading.acquire(blocking=self._book is None):
            assert self._book is not None
            return self._book  # another thread is reading it
        try:
            if self._stale(now, generation):
                book = CampaignBook(self._read(), self.jurisdiction)
                self._book, self._seen, self._read_at = book, generation, now
            assert self._book is not None
            return self._book
        finally:
            self._reading.release()
