"""Google's partial-response `fields` parameter.

Grammar (from the "Performance tips" guide): a comma-separated list of selections; `a/b` selects
`b` inside `a`; `a(b,c)` selects several sub-fields of `a`; `*` selects every field at its level.
Selections apply to each element of an array.
"""

from __future__ import annotations

from typing import Any

Tree = dict[str, "Tree | None"]  # field -> sub-selection (None: the whole value)


class FieldsError(ValueError):
    pass


def _merge(tree: Tree, key: str, sub: Tree | None) -> None:
    if key in tree:
        old = tree[key]
        if old is None or sub is None:
            tree[key] = None
        else:
            for k, v in sub.items():
                _merge(old, k, v)
    else:
        tree[key] = sub


def parse_fields(spec: str) -> Tree:
    pos = 0

    def parse_list(closing: str | None) -> Tree:
        nonlocal pos
        tree: Tree = {}
        while True:
            path: list[str] = []
            while True:
                start = pos
                while pos < len(spec) and spec[pos] not in ",/()":
                    pos += 1
                name = spec[start:pos].strip()
                if not name:
                    raise FieldsError(f"Invalid field selection {spec}")
                path.append(name)
                if pos < len(spec) and spec[pos] == "/":
                    pos += 1
                    continue
                break
            sub: Tree | None = None
            if pos < len(spec) and spec[pos] == "(":
                pos += 1
                sub = parse_list(")")
            for name in reversed(path[1:]):
                sub = {name: sub}
            _merge(tree, path[0], sub)
            if pos < len(spec) and spec[pos] == ",":
                pos += 1
                continue
            if closing is None:
                if pos != len(spec):
                    raise FieldsError(f"Invalid field selection {spec}")
                return tree
            if pos < len(spec) and spec[pos] == closing:
                pos += 1
                return tree
            raise FieldsError(f"Invalid field selection {spec}")

    return parse_list(None)


def apply_fields(value: Any, tree: Tree | None) -> Any:
    """A new value holding only the selected fields (the input is not modified)."""
    if tree is None:
        return value
    if isinstance(value, list):
        return [apply_fields(item, tree) for item in value]
    if not isinstance(value, dict):
        return value
    picked: dict[str, Any] = {}
    for key, item in value.items():
        if key in tree:
            picked[key] = apply_fields(item, tree[key])
        elif "*" in tree:
            picked[key] = apply_fields(item, tree["*"])
    return picked
