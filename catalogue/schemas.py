"""marshmallow schemas: validation of asset records at every edge.

The same schemas check a record typed at the CLI, posted to the API, submitted
from a form or read from a catalogue file, so the messages are the same
everywhere. Controlled values name what is allowed.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime
from typing import Any

from marshmallow import (
    RAISE,
    Schema,
    ValidationError,
    fields,
    post_load,
    pre_load,
    validate,
    validates_schema,
)

from catalogue import vocab
from catalogue.errors import Invalid, Problem
from catalogue.text import CONTROL_CHARACTERS, CONTROL_IN_TEXT
from catalogue.vocab import KEY_PATTERN

CATEGORY_LISTS = ("data_subjects", "personal_data_categories", "recipients")
SOURCE_TIMES = ("source_created", "source_modified")
KEY_RULE = "lower-case letters, digits, '.', '_' or '-', starting with a letter or digit"


def _one_of(choices: Iterable[str]) -> validate.OneOf:
    choices = tuple(choices)
    return validate.OneOf(choices, error="must be one of: " + ", ".join(choices))


def _optional_str(max_len: int | None = None) -> fields.String:
    rules = [validate.Length(max=max_len)] if max_len else []
    return fields.String(allow_none=True, validate=rules)


CONTROL_MESSAGE = "must not contain control characters (tabs, new lines, escape codes and the like)"


class PlainTextSchema(Schema):
    """Refuses control characters in every text a record holds, naming the field;
    the fields in ``multiline`` (Markdown) may hold new lines and tabs, and their
    Windows line ends (a browser's form sends them) become plain new lines."""

    multiline: tuple[str, ...] = ()

    @pre_load
    def _plain_line_ends(self, data: Any, **_: Any) -> Any:
        if not isinstance(data, Mapping):
            return data
        out = dict(data)
        for name in self.multiline:
            if isinstance(out.get(name), str):
                out[name] = out[name].replace("\r\n", "\n").replace("\r", "\n")
        return out

    @validates_schema(skip_on_field_errors=False)
    def _refuse_control_characters(self, data: Mapping[str, Any], **_: Any) -> None:
        found = {}
        for name, value in data.items():
            pattern = CONTROL_IN_TEXT if name in self.multiline else CONTROL_CHARACTERS
            values = value if isinstance(value, list) else [value]
            if any(isinstance(v, str) and pattern.search(v) for v in values):
                found[name] = [CONTROL_MESSAGE]
        if found:
            raise ValidationError(found)


class ColumnSchema(PlainTextSchema):
    multiline = ("description",)

    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    type = _optional_str(100)
    description = _optional_str()
    personal = fields.Boolean(load_default=False)


#: What a link may be: a web page or file, or an email address to write to.
LINK_SCHEMES = ("http", "https", "mailto")
#: Schemes a browser runs rather than fetches: never a location.
SCRIPT_SCHEMES = ("javascript", "vbscript", "data")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):")


def _scheme(value: str) -> str | None:
    """The URL scheme `value` starts with, lower-cased, as a browser reads it
    (leading blanks and embedded tabs or newlines ignored), or None."""
    found = _SCHEME.match(re.sub(r"[\t\n\r]", "", value).lstrip())
    return found.group(1).lower() if found else None


def _no_control_characters(value: str) -> None:
    if CONTROL_CHARACTERS.search(value):
        raise ValidationError("must not contain control characters (tabs, new lines and the like)")


def _any_case(word: str) -> str:
    """``word`` as a pattern matching it in any case (JSON Schema has no flags)."""
    return "".join(f"[{c.upper()}{c.lower()}]" if c.isalpha() else c for c in word)


_TEXT_CHARACTER = "[^\\u0000-\\u001f\\u007f-\\u009f]"  # catalogue.text's control characters
#: A link, as the API's document states it and every way in checks it: an
#: absolute http(s) address with a host, or a mailto: address; no control characters.
LINK_PATTERN = (
    f"^({_any_case('http')}[Ss]?://[^/?#\\u0000-\\u0020\\u007f]{_TEXT_CHARACTER}*"
    f"|{_any_case('mailto')}:{_TEXT_CHARACTER}*)$"
)
#: A location: any text without control characters that a browser would not
#: run (leading spaces are what a browser skips before the scheme).
LOCATION_PATTERN = f"^(?! *({'|'.join(_any_case(s) for s in SCRIPT_SCHEMES)}):){_TEXT_CHARACTER}*$"


def _web_link(value: str) -> None:
    """A link is an absolute http(s) URL with a host, or a mailto: address."""
    _no_control_characters(value)
    if _scheme(value) not in LINK_SCHEMES:
        raise ValidationError(
            "must be a web address starting http:// or https://, or a mailto: address"
        )
    if not re.match(LINK_PATTERN, value):
        raise ValidationError(
            "must be a web address with a host, e.g. https://data.example.gov.uk/"
        )


def _location(value: str) -> None:
    """A location is a web address (the only kind shown as a link or published),
    or a path or system name shown as text; never a script a browser would run."""
    _no_control_characters(value)
    if not re.match(LOCATION_PATTERN, value):
        raise ValidationError(
            "must be a web address (http:// or https://) or a path; "
            f"{', '.join(s + ':' for s in SCRIPT_SCHEMES)} addresses are not allowed"
        )


class LinkSchema(PlainTextSchema):
    class Meta:
        unknown = RAISE

    url = fields.String(
        required=True,
        validate=[validate.Length(min=1, max=2000), _web_link],
        metadata={"pattern": LINK_PATTERN},
    )
    name = _optional_str(500)
    format = _optional_str(100)


#: Stands in for a value JSON would not call a boolean, so the field refuses it.
_NOT_A_BOOLEAN = object()


def _strict_booleans(data: Mapping[str, Any]) -> dict[str, Any]:
    """JSON says true or false: "yes", "1" and 1 (which files may say) are
    refused, with the other problems of the record."""
    out = dict(data)
    for name in ("personal_data", "special_category"):
        if out.get(name) is not None and not isinstance(out[name], bool):
            out[name] = _NOT_A_BOOLEAN
    columns = out.get("columns")
    if isinstance(columns, list):
        out["columns"] = [
            {**c, "personal": _NOT_A_BOOLEAN}
            if isinstance(c, Mapping)
            and c.get("personal") is not None
            and not isinstance(c["personal"], bool)
            else c
            for c in columns
        ]
    return out


class AssetSchema(PlainTextSchema):
    """An asset record as in docs/records.md (without lineage)."""

    multiline = ("description",)

    class Meta:
        unknown = RAISE
        ordered = True

    key = fields.String(
        required=True, validate=validate.Regexp(KEY_PATTERN, error="must be " + KEY_RULE)
    )
    kind = fields.String(required=True)
    title = fields.String(required=True, validate=validate.Length(min=1, max=500))
    description = fields.String(load_default="")
    tags = fields.List(fields.String(validate=validate.Length(min=1, max=100)), load_default=list)
    department = _optional_str(200)
    source_system = _optional_str(200)
    location = fields.String(
        allow_none=True,
        validate=[validate.Length(max=2000), _location],
        metadata={"pattern": LOCATION_PATTERN},
    )
    owner = _optional_str(200)
    owner_email = fields.Email(allow_none=True)
    steward = _optional_str(200)
    steward_email = fields.Email(allow_none=True)
    contact_email = fields.Email(allow_none=True)
    classification = fields.String(load_default="OFFICIAL", validate=_one_of(vocab.CLASSIFICATIONS))
    access = fields.String(load_default="internal", validate=_one_of(vocab.ACCESS_LEVELS))
    licence = _optional_str(100)
    personal_data = fields.Boolean(load_default=False)
    special_category = fields.Boolean(load_default=False)
    lawful_basis = fields.String(allow_none=True, validate=_one_of(vocab.LAWFUL_BASES))
    article9_condition = _optional_str(200)
    retention_period = _optional_str(200)
    dpia_reference = _optional_str(100)
    purpose = _optional_str(500)
    data_subjects = fields.List(
        fields.String(validate=validate.Length(min=1, max=200)), load_default=list
    )
    personal_data_categories = fields.List(
        fields.String(validate=validate.Length(min=1, max=200)), load_default=list
    )
    recipients = fields.List(
        fields.String(validate=validate.Length(min=1, max=200)), load_default=list
    )
    international_transfers = _optional_str(1000)
    update_frequency = fields.String(allow_none=True, validate=_one_of(vocab.FREQUENCIES))
    last_updated = fields.Date(allow_none=True)
    review_date = fields.Date(allow_none=True)
    status = fields.String(load_default="active", validate=_one_of(vocab.STATUSES))
    #: When the record was created and last changed in the catalogue it was imported
    #: from (a time without a zone is UTC, as CKAN writes them).
    source_created = fields.AwareDateTime(allow_none=True, default_timezone=UTC)
    source_modified = fields.AwareDateTime(allow_none=True, default_timezone=UTC)
    columns = fields.List(fields.Nested(ColumnSchema), load_default=list)
    links = fields.List(fields.Nested(LinkSchema), load_default=list)

    def __init__(
        self,
        kinds: Iterable[str] = tuple(vocab.DEFAULT_KINDS),
        as_given: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.fields["kind"].validators = [_one_of(sorted(kinds))]
        self.as_given = as_given

    @pre_load
    def _plain_values(self, data: Any, **_: Any) -> Any:
        """Accept what YAML gives (dates, a single tag as a string), trim blanks.

        Not ``as_given``: the API takes JSON exactly as its OpenAPI document
        describes it (a list is a list; ``null`` clears; nothing is trimmed)."""
        if not isinstance(data, Mapping):
            return data
        if self.as_given:
            return _strict_booleans(data)
        out = {}
        for name, value in data.items():
            if isinstance(value, datetime) and name in SOURCE_TIMES:
                value = value.isoformat()
            elif isinstance(value, datetime):
                value = value.date().isoformat()
            elif isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, str):
                value = value.strip()
                if value == "" and name not in ("description", "title", "key"):
                    value = None
            if name == "tags" and isinstance(value, str):
                value = [t for t in re.split(r"[;,]", value) if t.strip()]
            elif name in CATEGORY_LISTS and isinstance(value, str):
                # Categories often hold commas ("name, address and phone"): split on ";".
                value = [t.strip() for t in value.split(";") if t.strip()]
            out[name] = value
        return out

    @post_load
    def _normalise(self, data: dict[str, Any], **_: Any) -> dict[str, Any]:
        if "tags" in data:
            data["tags"] = sorted({t.strip().lower() for t in data["tags"] if t.strip()})
        for name in CATEGORY_LISTS:
            if name in data:
                data[name] = list(dict.fromkeys(t.strip() for t in data[name] if t.strip()))
        for name in ("owner_email", "steward_email", "contact_email"):
            if data.get(name):
                data[name] = data[name].lower()
        for name in SOURCE_TIMES:
            if data.get(name):
                data[name] = data[name].astimezone(UTC)
        return data


ASSET_FIELDS: tuple[str, ...] = tuple(AssetSchema().fields)
COLUMN_FIELDS: tuple[str, ...] = tuple(ColumnSchema().fields)
LINK_FIELDS: tuple[str, ...] = tuple(LinkSchema().fields)


def suggest_field(name: str, known: Iterable[str]) -> str:
    """The message for an unknown field, with a "did you mean" where one is close."""
    close = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    return f"unknown field; did you mean {close[0]!r}?" if close else "unknown field"


def problems_from(
    error: ValidationError, known: Iterable[str], key: str | None = None, source: str | None = None
) -> list[Problem]:
    """Flatten marshmallow's nested messages into one :class:`Problem` per message."""
    problems: list[Problem] = []

    def walk(messages: Any, path: str) -> None:
        if isinstance(messages, Mapping):
            for name, sub in messages.items():
                walk(sub, f"{path}.{name}" if path else str(name))
            return
        for message in messages if isinstance(messages, list) else [messages]:
            if isinstance(message, Mapping):
                walk(message, path)
                continue
            if message == "Unknown field.":
                nested = {"columns": COLUMN_FIELDS, "links": LINK_FIELDS}.get(path.split(".")[0])
                message = suggest_field(path.rsplit(".", 1)[-1], nested or known)
            problems.append(Problem(str(message), field=path or None, key=key, source=source))

    walk(error.messages, "")
    return problems


@functools.lru_cache(maxsize=16)
def _schema(kinds: tuple[str, ...], partial: bool, as_given: bool) -> AssetSchema:
    """Building a schema costs far more than using one: keep one per kind list."""
    return AssetSchema(kinds=kinds, partial=partial, as_given=as_given)


def load_asset(
    data: Mapping[str, Any], kinds: Iterable[str], partial: bool = False, as_given: bool = False
) -> dict[str, Any]:
    """Validate one asset record (or, with ``partial``, the fields of an update);
    ``as_given`` takes values as the API's document states them, without the
    file formats' conveniences (see ``AssetSchema._plain_values``).

    Raises :class:`Invalid` listing every problem, field by field.
    """
    schema = _schema(tuple(sorted(kinds)), partial, as_given)
    try:
        loaded = schema.load(dict(data))
    except ValidationError as error:
        key = data.get("key") if isinstance(data, Mapping) else None
        problems = problems_from(error, ASSET_FIELDS, key=key if isinstance(key, str) else None)
        raise Invalid("the asset record is not valid", problems) from None
    if partial:
        # Partial loads still fill load_default values; keep only what was given.
        loaded = {k: v for k, v in loaded.items() if k in data}
    return loaded
