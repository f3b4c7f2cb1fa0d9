"""`calsync ARGS...` as its own process, with the sandbox served in it under the real
hostnames (as tests/test_real_connect.py does in-process), for tests that must look at the
process from outside (its /proc/<pid>/cmdline while the Google sign-in waits).

    python -m tests.connect_child connect --google FILE --pipedrive-token -

The browser's consent waits until the file named by CALSYNC_TEST_GO exists, after creating
the file named by CALSYNC_TEST_OPENED: the parent reads the process while the sign-in is open.
Nothing leaves the machine: only loopback sockets are allowed.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from _pytest.monkeypatch import MonkeyPatch
from google_auth_oauthlib import flow as oauth_flow

from sandbox.app import create_app
from tests.cassettes.realhosts import block_sockets, patch_default_transport, real_hosts_session
from tests.test_real_connect import LOOPBACK, NOW, Browser
from tui.cli import main

WAIT = 30.0  # the parent creates the go file at once; this only bounds a broken parent


class HeldBrowser(Browser):
    """The sandbox's consent, held until the parent says go."""

    def _consent(self, url: str) -> None:
        Path(os.environ["CALSYNC_TEST_OPENED"]).touch()
        go = Path(os.environ["CALSYNC_TEST_GO"])
        deadline = time.monotonic() + WAIT
        while not go.exists() and time.monotonic() < deadline:
            time.sleep(0.01)
        super()._consent(url)


def run(argv: list[str]) -> int:
    os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"  # the loopback redirect is http
    app = create_app(seed=1, empty=True, frozen_time=NOW)
    patch = MonkeyPatch()
    patch_default_transport(patch, app)
    original = oauth_flow.InstalledAppFlow.from_client_config.__func__

    def from_client_config(cls, config, scopes, **kw):
        made = original(cls, config, scopes, **kw)
        real_hosts_session(app, made.oauth2session)
        return made

    patch.setattr(
        oauth_flow.InstalledAppFlow, "from_client_config", classmethod(from_client_config)
    )
    browser = HeldBrowser(app)
    patch.setattr(oauth_flow.webbrowser, "get", lambda name=None: browser)
    block_sockets(patch, allow=lambda address: address[0] in LOOPBACK)
    try:
        return main(argv)
    finally:
        browser.join()


if __name__ == "__main__":
    raise SystemExit(run(sys.argv[1:]))
