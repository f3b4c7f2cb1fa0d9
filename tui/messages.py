"""Messages the app's sync workers post to the UI thread (attributes down, messages up)."""

from __future__ import annotations

from textual.message import Message

from sync.models import SyncEvent


class SyncEvents(Message):
    """A batch of SyncEvents from one account's run (batched so bursts stay cheap)."""

    def __init__(self, account_id: str, events: tuple[SyncEvent, ...]) -> None:
        super().__init__()
        self.account_id = account_id
        self.events = events


class SessionChanged(Message):
    """An account's sync session changed state (syncing, idle, error, stopped)."""

    def __init__(self, account_id: str) -> None:
        super().__init__()
        self.account_id = account_id

    def can_replace(self, message: Message) -> bool:
        # Only the latest state matters: a burst of changes collapses into one repaint.
        return isinstance(message, SessionChanged) and message.account_id == self.account_id


class StoppedElsewhere(Message):
    """The account stopped syncing outside this app (`calsync disconnect` in a terminal, or
    an undo) while the app was syncing it."""

    def __init__(self, account_id: str) -> None:
        super().__init__()
        self.account_id = account_id
