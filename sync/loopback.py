"""The loopback redirect of a browser sign-in (Google's installed-app OAuth, Pipedrive's
OAuth): a small HTTP server that waits for the browser's one answer, and stops at once, its
port freed, when the sign-in is cancelled or runs out of time.

The server runs in a thread (http.server); the waiting is a coroutine, so cancelling the
task that awaits it (Esc in the app, Ctrl-C on the command line) ends the sign-in.
"""

from __future__ import annotations

import asyncio
import socket
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qsl, urlsplit

from .errors import AuthError, CalsyncError


def duration(seconds: float) -> str:
    """ "5 minutes", "0.3 seconds"."""
    return f"{seconds / 60:g} minutes" if seconds >= 60 else f"{seconds:g} seconds"


POLL = 0.05  # seconds: how soon the server thread notices that it is told to stop


class _Server(HTTPServer):
    def __init__(self, address: tuple[str, int], callback: LoopbackCallback) -> None:
        self.callback = callback
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, _Handler)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:
        callback = self.server.callback
        parts = urlsplit(self.path)
        if parts.path != callback.path:
            self.send_error(404)  # e.g. the browser asking for /favicon.ico
            return
        answer = dict(parse_qsl(parts.query))
        if callback.state is not None and answer.get("state") != callback.state:
            status, text = 400, "calsync refused this answer: it does not belong to its sign-in."
        elif "code" not in answer:
            status, text = (
                200,
                f"{callback.service} sign-in was not completed. You can close this window.",
            )
        else:
            status, text = (
                200,
                f"calsync is connected to {callback.service}. You can close this window.",
            )
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        callback._answered(answer)

    def log_message(self, *args) -> None:
        return None  # no request lines on stderr


class LoopbackCallback:
    """Listens on `host:port` (0: a free port) for the browser's answer at `path`.

    Listening starts at once (before the browser is sent to the consent page) and ends when
    `wait()` returns, raises or is cancelled, or at `close()`."""

    def __init__(
        self, host: str, port: int, path: str, *, service: str, label: str | None = None
    ) -> None:
        self.path = path or "/"
        self.service = service
        self.state: str | None = None
        """The sign-in's `state`: an answer carrying another is refused (and reported)."""
        self._future: asyncio.Future[dict[str, str]] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._early: dict[str, str] | None = None
        """An answer that came before `wait()` began (a quick browser): kept for it."""
        self._lock = threading.Lock()
        try:
            self._server = _Server((host, port), self)
        except OSError as exc:
            raise CalsyncError(
                f"cannot listen on {label or f'{host}:{port}'} for {service}'s answer: "
                f"{exc.strerror or exc} "
                "(is another `calsync connect` running?)"
            ) from None
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(POLL,), daemon=True, name="sign-in"
        )
        self._thread.start()

    def _answered(self, answer: dict[str, str]) -> None:
        """In the server's thread: hand the answer to the waiting coroutine (or keep it for
        `wait()`, if the browser answered before the wait began)."""
        with self._lock:
            if self._loop is None or self._future is None:
                self._early = self._early or answer
                return
            loop, future = self._loop, self._future

        def hand_over() -> None:
            if not future.done():
                future.set_result(answer)

        loop.call_soon_threadsafe(hand_over)

    async def wait(self, timeout: float) -> dict[str, str] | None:
        """The answer's query, or None when `timeout` seconds pass first; the server is
        closed however this ends (a cancelled wait included)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[dict[str, str]] = loop.create_future()
        with self._lock:
            self._loop, self._future = loop, future
            if self._early is not None:
                future.set_result(self._early)
        try:
            return await asyncio.wait_for(future, timeout)
        except TimeoutError:
            return None
        finally:
            self.close()

    async def code(self, timeout: float) -> dict[str, str]:
        """The answer of a consent that was given (it carries a `code`), else AuthError: no
        answer in time, a foreign `state`, or consent refused."""
        answer = await self.wait(timeout)
        if answer is None:
            raise AuthError(f"{self.service} sign-in did not complete within {duration(timeout)}")
        if answer.get("state") != self.state:
            raise AuthError(f"{self.service}'s sign-in answer carried the wrong state: refused")
        if "code" not in answer:
            reason = (
                answer.get("error_description") or answer.get("error") or "no code in the answer"
            )
            raise AuthError(f"{self.service} sign-in did not complete: {reason}")
        return answer

    def close(self) -> None:
        """Stop listening and free the port (idempotent)."""
        if self._thread.is_alive():
            self._server.shutdown()  # returns once serve_forever has stopped (<= POLL)
        self._server.server_close()
