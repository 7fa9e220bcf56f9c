"""Validation of glossary term records (#18), at every edge: the CLI, the API
and catalogue files' ``terms:`` section give the same messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marshmallow import RAISE, ValidationError, fields, post_load, validate

from catalogue.errors import Invalid
from catalogue.schemas import PlainTextSchema, problems_from

STATUSES = ("draft", "approved")
#: "key" or "key:column": an asset, or one of its columns.
LINK_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,199}(:[^\u0000-\u001f\u007f-\u009f]{1,200})?$"


def _words() -> fields.List:
    return fields.List(fields.String(validate=validate.Length(min=1, max=200)), load_default=list)


class TermSchema(PlainTextSchema):
    multiline = ("definition",)

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    definition = fields.String(load_default="", validate=validate.Length(max=20_000))
    synonyms = _words()
    owner = fields.String(allow_none=True, validate=validate.Length(max=320))
    department = fields.String(allow_none=True, validate=validate.Length(max=200))
    related = _words()
    assets = fields.List(
        fields.String(
            validate=validate.Regexp(
                LINK_PATTERN, error="must be an asset key, or KEY:COLUMN for one of its columns"
            )
        ),
        load_default=list,
    )
    status = fields.String(
        load_default="draft",
        validate=validate.OneOf(STATUSES, error="must be one of: " + ", ".join(STATUSES)),
    )

    @post_load
    def _tidy(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        """Words trimmed, repeats (any case) dropped, empty owner or department None."""
        if isinstance(data.get("name"), str):
            data["name"] = " ".join(data["name"].split())
        for name in ("synonyms", "related", "assets"):
            if name in data:
                seen: dict[str, str] = {}
                for word in data[name]:
                    word = " ".join(word.split())
                    seen.setdefault(word.casefold(), word)
                data[name] = list(seen.values())
        for name in ("owner", "department"):
            if name in data and not (data[name] or "").strip():
                data[name] = None
        return data


TERM_FIELDS: tuple[str, ...] = tuple(TermSchema().fields)
_FULL, _PARTIAL = TermSchema(), TermSchema(partial=True)


def load_term(
    data: Mapping[str, Any], partial: bool = False, source: str | None = None
) -> dict[str, Any]:
    """Validate a term record (``partial``: the fields of an update). Raises
    Invalid listing every problem, naming the field and ``source`` (file:line)."""
    if not isinstance(data, Mapping):
        raise Invalid("a glossary term must be a mapping of field names to values")
    try:
        loaded = (_PARTIAL if partial else _FULL).load(dict(data))
    except ValidationError as error:
        problems = problems_from(error, TERM_FIELDS, source=source)
        raise Invalid("the glossary term is not valid", problems) from None
    if partial:
        loaded = {k: v for k, v in loaded.items() if k in data}
    return loaded
