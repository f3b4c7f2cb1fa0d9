"""One Store shared by threads, as the app shares it between its accounts' sync workers:
two accounts whose runs finish at the same moment keep both runs' links and records."""

from __future__ import annotations

import asyncio
import threading
from datetime import timedelta

from sandbox.app import create_app
from sandbox.transport import SandboxTransport
from sync.accounts import connect_sandbox
from sync.runner import run_once
from sync.store import Store
from sync.vault import Vault

from .conftest import NOW

RUNS = 5


async def _connect(store: Store, vault: Vault, base: str, transport) -> str:
    return (await connect_sandbox(store, vault, base, transport=transport)).account.id


def test_two_accounts_finishing_at_once_keep_both_runs_links(tmp_path, monkeypatch):
    monkeypatch.setenv("CALSYNC_KEYRING", "off")
    store, vault = Store(tmp_path), Vault(tmp_path)
    sandboxes = {}
    for base in ("http://one.test", "http://two.test"):
        app = create_app(seed=1, frozen_time=NOW)  # seeded: each run has links to write
        transport = SandboxTransport(app=app)
        account_id = asyncio.run(_connect(store, vault, base, transport))
        sandboxes[account_id] = (app.state.sandbox, transport)
    assert len(sandboxes) == 2
    start = threading.Barrier(len(sandboxes))
    failures: list[BaseException] = []

    def runs(account_id: str) -> None:
        sandbox, transport = sandboxes[account_id]

        async def go() -> None:
            for n in range(RUNS):
                start.wait()  # both accounts' runs go, and finish, together
                now = NOW + timedelta(minutes=n)
                async for _ in run_once(store, vault, account_id, transport=transport, now=now,
                                        retry_wait=0.001):  # fmt: skip
                    pass

        try:
            asyncio.run(go())
        except BaseException as exc:  # handed to the test's thread
            failures.append(exc)
            start.abort()

    threads = [threading.Thread(target=runs, args=(a,)) for a in sandboxes]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not failures, failures
    again = Store(tmp_path)
    for account_id, (sandbox, _) in sandboxes.items():
        live = [r for r in sandbox.pipedrive.activities.rows.values() if not r.get("is_deleted")]
        data = again.data(account_id)
        assert len(data) > 0 and len(data) == len(store.data(account_id))  # every link on disk
        assert {link.pipedrive_id for link in data.links()} <= {str(r["id"]) for r in live}
        assert [r.run for r in data.runs()][:1] == [1] and len(data.runs()) >= 2
        account = again.account(account_id)
        assert account.last_status == "ok"
        assert account.last_run == NOW + timedelta(minutes=RUNS - 1)
