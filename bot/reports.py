"""Report rooms (``moderation.report_rooms``): every refresh that changed the knowledge,
manual or scheduled, posted there as a bounded notice; a failing refresh once per run of failures.

A refresh that changes nothing posts nothing. A failure is posted when the refresh before it
worked (so a source that stays down does not fill the rooms with one notice per retry), and
the next refresh that works says so, with what changed.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable, Sequence

from knowledge.render import directed

from . import replies
from .pipeline.actions import SendNotice
from .refresh import RefreshOutcome

log = logging.getLogger(__name__)

#: Seconds a report may take to post (retries included), so a room that cannot be reached
#: never holds up the ``!refresh`` reply for long.
POST_TIMEOUT_S = 30.0


class Reporter:
    """Told of each refresh's outcome (a ``Refresher`` listener); posts to ``rooms`` through
    ``send``, in each room's language (``lang_of``)."""

    def __init__(
        self,
        rooms: Sequence[str],
        send: Callable[[SendNotice], Awaitable[str | None]],
        lang_of: Callable[[str], str],
    ):
        self._rooms = tuple(rooms)
        self._send = send
        self._lang_of = lang_of
        self._failing = False

    async def __call__(self, requested_by: str, outcome: RefreshOutcome) -> None:
        recovered = False
        if not outcome.ok:
            if self._failing:
                return  # said when this run of failures began
            self._failing = True
        else:
            recovered, self._failing = self._failing, False
            if not outcome.diff and not recovered:
                return
        cause = f"{requested_by}|{outcome.old_version}|{outcome.new_version}|{time.time_ns()}"
        deadline = time.monotonic() + POST_TIMEOUT_S
        for room_id in self._rooms:
            lang = self._lang_of(room_id)
            reply = directed(replies.refresh_report(outcome, requested_by, lang, recovered=recovered), lang)
            if await self._send(SendNotice(room_id, cause, reply.text, reply.html, deadline)) is None:
                log.warning("could not post the knowledge refresh report to %s", room_id)
