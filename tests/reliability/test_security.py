"""Security: tokens never reach logs, JSON output, the store's plain fields or the cassettes;
the store and token files are 0600; the sandbox binds loopback only; an OAuth answer with the
wrong state is refused."""

from __future__ import annotations

import io
import logging
import os
import stat
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import pytest

from sandbox.app import create_app
from sandbox.server import start_in_thread
from sandbox.transport import SandboxTransport
from sync import commands
from sync.accounts import connect_sandbox
from sync.errors import AuthError
from sync.store import Store
from sync.vault import Vault
from tui.cli import main

from ..engine.conftest import BASE, timed
from .helpers import record

CASSETTES = Path(__file__).resolve().parents[2] / "cassettes"


def _secrets(env) -> list[str]:
    saved = env.vault.get(env.account_id)
    found = [saved["pipedrive_api_token"], saved["google"]["access_token"]]
    found += [saved["google"].get("refresh_token"), saved["google"].get("client_secret")]
    return [s for s in found if s]


async def test_tokens_never_reach_logs_json_or_the_store(env, caplog):
    await env.g_insert({"summary": "Meet", **timed(env.now)})
    await env.p_create(subject="Call", type="call", due_date="2026-03-23", due_time="10:00")
    await env.faults(target="all", rate=0.3, kinds=["500", "429", "expire_tokens"], retry_after=0)
    caplog.set_level(logging.DEBUG)
    await env.sync()
    await env.clear_faults()
    await env.sync(full=True)
    secrets = _secrets(env)  # after the runs: refreshed tokens included
    assert len(secrets) >= 3
    out, err = io.StringIO(), io.StringIO()
    console = commands.Console(out, err)
    for action in (
        lambda: commands.accounts(console, home=env.home, as_json=True),
        lambda: commands.log(console, home=env.home, account_id=None, as_json=True, run=None),
        lambda: commands.options(console, home=env.home, account_id=None, changes={}, as_json=True),
    ):
        action()
    texts = {"log records": caplog.text, "JSON output": out.getvalue() + err.getvalue()}
    for path in env.home.rglob("*.json"):
        if "tokens" not in path.parts:
            texts[str(path)] = path.read_text()
    leaks = [(where, s[:6]) for where, text in texts.items() for s in secrets if s in text]
    record(security_scans=len(texts))
    assert leaks == []


def test_cassettes_hold_no_secrets():
    files = [p for p in CASSETTES.rglob("*") if p.is_file()]
    assert files
    patterns = ("sandbox-pipedrive-api-token", "sandbox-google-client-secret", "Bearer 4/",
                "ya29.", "1//", "refresh_token\": \"4/", "api_token=")  # fmt: skip
    leaks = [(p.name, s) for p in files for s in patterns if s in p.read_text(errors="replace")]
    record(security_scans=len(files))
    assert leaks == []


async def test_store_and_token_files_are_0600(env):
    await env.sync()
    files = [p for p in env.home.rglob("*") if p.is_file()]
    assert any("tokens" in p.parts for p in files)
    loose = [(str(p), oct(stat.S_IMODE(p.stat().st_mode))) for p in files
             if stat.S_IMODE(p.stat().st_mode) & 0o077]  # fmt: skip
    assert loose == []


def test_the_sandbox_listens_on_loopback_only(capsys):
    running = start_in_thread(create_app(seed=1, empty=True))
    try:
        addresses = [s.getsockname()[0] for srv in running.server.servers for s in srv.sockets]
        assert addresses and all(a in ("127.0.0.1", "::1") for a in addresses)
    finally:
        running.stop()
    for host in ("0.0.0.0", "::", "192.168.1.10"):
        assert main(["sandbox", "--host", host, "--port", "0"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "loopback" in err[0]


class WrongState(SandboxTransport):
    """A sign-in answer whose `state` is not the one the app sent (a forged callback)."""

    async def handle_async_request(self, request):
        response = await super().handle_async_request(request)
        location = response.headers.get("location")
        if location and "state=" in location:
            parts = urlsplit(location)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            query["state"] = "forged"
            response.headers["location"] = urlunsplit(parts._replace(query=urlencode(query)))
        return response


async def test_a_sign_in_with_the_wrong_state_is_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("CALSYNC_KEYRING", "off")
    app = create_app(seed=1, empty=True)
    store, vault = Store(tmp_path), Vault(tmp_path)
    with pytest.raises(AuthError, match="wrong state"):
        await connect_sandbox(store, vault, BASE, transport=WrongState(app=app))
    assert store.accounts() == []
    assert not (tmp_path / "tokens").exists() or not os.listdir(tmp_path / "tokens")
    # The same sandbox, answered honestly, connects.
    connected = await connect_sandbox(store, vault, BASE, transport=SandboxTransport(app=app))
    assert connected.account.id
    store.close()
