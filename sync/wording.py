"""How counts read in what a person sees, in the app and on the command line: "1 request",
"13 items", "1 activity", "about 3 min left"."""

from __future__ import annotations


def plural(n: int, one: str, many: str | None = None) -> str:
    """`n` and the word that fits it: plural(1, "request") -> "1 request"; plural(2,
    "activity", "activities") -> "2 activities". Thousands are grouped ("5,000 items")."""
    word = one if n == 1 else (many or one + "s")
    return f"{n:,} {word}"


def time_left(seconds: float | None) -> str:
    """ "about 3 min left", "about 40 s left"; "" when unknown."""
    if seconds is None:
        return ""
    if seconds < 10:
        return "a few seconds left"
    if seconds < 90:
        return f"about {round(seconds / 10) * 10:.0f} s left"
    if seconds < 90 * 60:
        return f"about {round(seconds / 60):.0f} min left"
    return f"about {seconds / 3600:.1f} h left"
