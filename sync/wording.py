"""How counts read in what a person sees, in the app and on the command line: "1 request",
"13 items", "1 activity"."""

from __future__ import annotations


def plural(n: int, one: str, many: str | None = None) -> str:
    """`n` and the word that fits it: plural(1, "request") -> "1 request"; plural(2,
    "activity", "activities") -> "2 activities". Thousands are grouped ("5,000 items")."""
    word = one if n == 1 else (many or one + "s")
    return f"{n:,} {word}"
