"""Serving the sandbox over loopback with uvicorn: in the foreground or in a thread."""

from __future__ import annotations

import ipaddress
import logging
import socket
import threading
from dataclasses import dataclass

import uvicorn

from .faults import ConnectionDropped


def check_loopback(host: str) -> None:
    """The sandbox binds loopback only; anything else is refused with a clear reason."""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ValueError(f"the sandbox binds loopback only (127.0.0.1, ::1 or localhost), not {host!r}")


class _QuietDrops(logging.Filter):
    """Dropped connections are a fault we inject on purpose, not an error to print."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.exc_info and isinstance(record.exc_info[1], ConnectionDropped))


def bind(host: str, port: int) -> socket.socket:
    check_loopback(host)
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio only turns Nagle off (TCP_NODELAY) for sockets whose
    # proto says TCP, and without that every small answer waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    return sock


def _config(app, log_level: str) -> uvicorn.Config:
    logging.getLogger("uvicorn.error").addFilter(_QuietDrops())
    return uvicorn.Config(
        app, log_level=log_level, lifespan="off", access_log=False, timeout_keep_alive=30
    )


def serve(app, sock: socket.socket, log_level: str = "warning") -> None:
    """Serve on a bound loopback socket in the foreground until interrupted."""
    uvicorn.Server(_config(app, log_level)).run(sockets=[sock])


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


@dataclass
class RunningServer:
    url: str
    server: uvicorn.Server
    thread: threading.Thread

    def stop(self, timeout: float = 5.0) -> None:
        self.server.should_exit = True
        self.thread.join(timeout)


def start_in_thread(
    app, host: str = "127.0.0.1", port: int = 0, log_level: str = "error"
) -> RunningServer:
    """Serve in a daemon thread on a free loopback port; returns once it accepts connections."""
    sock = bind(host, port)
    server = uvicorn.Server(_config(app, log_level))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, daemon=True, name="sandbox"
    )
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the sandbox server failed to start")
        threading.Event().wait(0.01)
    return RunningServer(url_of(sock), server, thread)
