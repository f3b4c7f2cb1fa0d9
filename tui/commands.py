"""Command palette commands: "sync: run now", "sync: stop", "review: to review", "account:
reconnect" (Textual's own commands add "Theme", "Keys", "Quit", ...)."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from textual.command import DiscoveryHit, Hit, Hits, Provider

if TYPE_CHECKING:
    from .app import CalsyncApp


def available(app: CalsyncApp) -> list[tuple[str, object, str]]:
    """The app's commands that apply now (name, what it runs, help): the sync commands when an
    account is in view (or only one is active), reconnect for each stopped account."""
    out: list[tuple[str, object, str]] = []
    current = app.current_account_id()
    if current is not None:
        out.append(
            ("sync: run now", partial(app.sync_now, current), "Run a sync of this account now")
        )
        out.append(
            (
                "sync: stop",
                partial(app.confirm_stop, current),
                "Stop syncing this account (nothing is deleted)",
            )
        )
        out.append(
            (
                "review: to review",
                partial(app.open_review, current),
                "Items a sync left for you: pick the person or deal, or dismiss",
            )
        )
    for account in app.store.accounts("previously_synced"):
        out.append(
            (
                f"account: reconnect {account.email}",
                partial(app.reconnect, account.id),
                "Bring this account back with its last options",
            )
        )
    return out


class CalsyncCommands(Provider):
    """The app's own commands, about the account in view (or the only active one)."""

    def _commands(self) -> list[tuple[str, object, str]]:
        return available(self.app)  # type: ignore[arg-type]

    async def discover(self) -> Hits:
        for name, callback, help_text in self._commands():
            yield DiscoveryHit(name, callback, help=help_text)  # type: ignore[arg-type]

    async def search(self, query: str) -> Hits:
        matcher = self.matcher(query)
        for name, callback, help_text in self._commands():
            score = matcher.match(name)
            if score > 0:
                yield Hit(score, matcher.highlight(name), callback, help=help_text)  # type: ignore[arg-type]
