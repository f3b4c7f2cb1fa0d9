"""`fields`: Google's partial responses, parsed and applied to Calendar v3 answers.

The syntax (Google's "partial response" guide): a comma-separated list of field paths;
`a/b` selects `b` inside `a`; `a(b,c)` selects `b` and `c` inside `a` (nesting allowed,
e.g. `items(id,start(dateTime),attendees(email))`); `*` selects every field at its level.
Selecting inside an array applies the selection to each element. A name the resource does
not have, or a selection inside a plain value, is a 400 `invalidParameter` "Invalid field
selection <name>" at `fields`, as Google answers; so is a malformed selection. The known
names come from the discovery document (`schema.py`). Error answers are never filtered.
"""

from __future__ import annotations

import re

from . import errors
from .schema import OPEN

Selection = dict  # name -> None (the whole value) or a nested Selection
_NAME = re.compile(r"[A-Za-z0-9_]+|\*")


def invalid(what: str) -> errors.GoogleError:
    message = f"Invalid field selection {what}"
    return errors.GoogleError(400, "invalidParameter", message, location="fields")


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def fail(self) -> errors.GoogleError:
        return invalid(self.text[self.pos :][:100] or self.text[:100])

    def peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def name(self) -> str:
        match = _NAME.match(self.text, self.pos)
        if match is None:
            raise self.fail()
        self.pos = match.end()
        return match.group()

    def selection(self, depth: int = 0) -> Selection:
        if depth > 20:
            raise self.fail()
        out: Selection = {}
        while True:
            path = [self.name()]
            while self.peek() == "/":
                self.pos += 1
                path.append(self.name())
            sub = None
            if self.peek() == "(":
                self.pos += 1
                sub = self.selection(depth + 1)
                if self.peek() != ")":
                    raise self.fail()
                self.pos += 1
            for name in reversed(path[1:]):
                sub = {name: sub}
            _merge(out, path[0], sub)
            if self.peek() != ",":
                return out
            self.pos += 1


def _merge(into: Selection, name: str, sub: Selection | None) -> None:
    if name in into and into[name] is None:
        return  # the whole value is already selected
    if sub is None or name not in into:
        into[name] = sub
        return
    for key, value in sub.items():
        _merge(into[name], key, value)


def parse(text: str, schema: dict) -> Selection:
    """The selection a `fields` value makes, checked against a resource's field names."""
    parser = _Parser(text.replace(" ", ""))
    selection = parser.selection()
    if parser.pos != len(parser.text):
        raise parser.fail()
    _check(selection, schema)
    return selection


def _check(selection: Selection, schema: dict | str | None) -> None:
    if schema == OPEN:
        return
    for name, sub in selection.items():
        if name == "*":
            children = [v for v in schema.values()] if isinstance(schema, dict) else []
            for child in children:
                if sub is not None and isinstance(child, dict):
                    _check(sub, child)
            continue
        if not isinstance(schema, dict) or name not in schema:
            raise invalid(name)
        if sub is not None:
            if schema[name] is None:
                raise invalid(name)
            _check(sub, schema[name])


def apply(value: object, selection: Selection | None) -> object:
    """The parts of a JSON value a selection keeps (None keeps it all)."""
    if selection is None:
        return value
    if isinstance(value, list):
        return [apply(item, selection) for item in value]
    if not isinstance(value, dict):
        return value
    out = {}
    for key, item in value.items():
        if key in selection:
            out[key] = apply(item, selection[key])
        elif "*" in selection:
            out[key] = apply(item, selection["*"])
    return out


def of(request, schema: dict) -> Selection | None:
    """The selection of a request's `fields` parameter (None when it has none)."""
    text = request.query_params.get("fields")
    if text is None or not text.strip():
        return None
    return parse(text, schema)
