"""Item text made safe for a terminal: control characters shown as visible escapes.

Titles, locations, reasons and addresses come from other people (anyone can send an
invitation). Printed raw, an escape sequence in one could retitle the terminal window, erase
lines, write the clipboard (OSC 52), plant a hidden link (OSC 8) or reorder what is shown
(bidi overrides, "Trojan Source"). `safe_text` turns each such character into a visible
escape (`\\x1b`, `\\u202e`, `\\n`); everything else, emoji and right-to-left scripts included,
is kept. Machine output (`--json`) is never passed through it: it stays exact.
"""

from __future__ import annotations

import re

# DEL, C1 controls (8-bit CSI/OSC/ST...), the bidi embeddings, overrides and isolates (not
# the plain marks LRM/RLM, which only nudge neutral characters), and the Unicode line and
# paragraph separators; with the C0 controls, everything a terminal may act on.
_ABOVE_C0 = "\x7f-\x9f\u202a-\u202e\u2066-\u2069\u2028\u2029"
_UNSAFE = re.compile(f"[\x00-\x1f{_ABOVE_C0}]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(found: re.Match[str]) -> str:
    char = found.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe_text(text: str, *, multiline: bool = False) -> str:
    """`text` with every control character shown as an escape; `multiline` keeps line breaks
    (for descriptions shown over several lines; a carriage return is still escaped)."""
    if multiline:
        return "\n".join(_UNSAFE.sub(_escape, line) for line in text.split("\n"))
    return _UNSAFE.sub(_escape, text)


# What a JSON text may carry raw (json.dumps escapes the C0 controls itself).
_UNSAFE_IN_JSON = re.compile(f"[{_ABOVE_C0}]")


def safe_json(dumped: str) -> str:
    """A JSON text (json.dumps(..., ensure_ascii=False)) with the characters a terminal acts
    on written as `\\uXXXX` escapes: the same JSON value, safe to print."""
    return _UNSAFE_IN_JSON.sub(lambda found: f"\\u{ord(found.group()):04x}", dumped)
