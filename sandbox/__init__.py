"""calsync's offline sandbox: fake Google OAuth, Google Calendar v3 and Pipedrive."""

from __future__ import annotations


def create_app(**kwargs):
    """The sandbox ASGI app (see `sandbox.app.create_app`)."""
    from .app import create_app as _create_app

    return _create_app(**kwargs)


__all__ = ["create_app"]
