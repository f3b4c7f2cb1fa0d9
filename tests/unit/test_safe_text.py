"""safe_text: every character a terminal acts on shown as a visible escape, nothing else
changed; safe_json: the same JSON value, printable."""

from __future__ import annotations

import json
import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from sync.safe_text import safe_json, safe_text


def test_controls_and_overrides_are_shown_escaped():
    assert safe_text("a\x1b]0;title\x07b") == "a\\x1b]0;title\\x07b"
    assert safe_text("\x1b[2K\rline\nnext\tcol\x7f") == "\\x1b[2K\\rline\\nnext\\tcol\\x7f"
    assert safe_text("\u009b31m \u0085") == "\\x9b31m \\x85"
    assert safe_text("\u202e\u2066x\u2069\u2028") == "\\u202e\\u2066x\\u2069\\u2028"


def test_ordinary_text_is_kept_as_it_is():
    for text in (
        "Möte med Åsa",
        "שלום עולם",
        "مرحبا\u200f",
        "👩‍👩‍👧 family",
        "zero\u200bwidth",
        "C:\\path",
    ):
        assert safe_text(text) == text


def test_multiline_keeps_line_breaks_only():
    assert safe_text("one\ntwo\r\n\x1b[1A", multiline=True) == "one\ntwo\\r\n\\x1b[1A"


@given(st.text())
def test_nothing_a_terminal_acts_on_is_left(text):
    out = safe_text(text)
    assert all(
        unicodedata.category(c) != "Cc"
        and c not in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
        for c in out
    )


@given(
    st.recursive(
        st.text() | st.integers() | st.none(),
        lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner),
    )
)
def test_safe_json_is_the_same_value_and_printable(value):
    dumped = safe_json(json.dumps(value, ensure_ascii=False))
    assert json.loads(dumped) == value
    assert all(unicodedata.category(c) != "Cc" for c in dumped)
