"""The sign-in's loopback listener keeps an answer that comes before anyone waits for it (a
quick browser, a loaded machine): the sign-in must not then wait its whole time-out."""

from __future__ import annotations

import urllib.request

from sync.loopback import LoopbackCallback


async def test_an_answer_before_the_wait_is_kept():
    callback = LoopbackCallback("127.0.0.1", 0, "/", service="Google")
    callback.state = "s1"
    with urllib.request.urlopen(f"http://127.0.0.1:{callback.port}/?state=s1&code=c1", timeout=10):
        pass
    assert await callback.code(timeout=60) == {"state": "s1", "code": "c1"}
