"""Domain errors. Each carries its HTTP status and a title; every surface maps
them once (the API to problem+json, the pages to an error page, the CLI to a
message and exit code 1)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where it is, which field, and why."""

    message: str
    field: str | None = None
    key: str | None = None
    source: str | None = None  # "file.yaml:12", "file.csv row 4", …

    def __str__(self) -> str:
        where = " ".join(
            part
            for part in (
                self.source,
                f"key {self.key!r}" if self.key else None,
                f"field {self.field!r}" if self.field else None,
            )
            if part
        )
        return f"{where}: {self.message}" if where else self.message

    def as_dict(self) -> dict[str, str]:
        return {k: v for k, v in self.__dict__.items() if v is not None}


class CatalogueError(Exception):
    status = 400
    title = "Bad request"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(CatalogueError):
    status = 404
    title = "Not found"


class Unauthorized(CatalogueError):
    status = 401
    title = "Sign in required"


class Forbidden(CatalogueError):
    status = 403
    title = "Not allowed"


class Conflict(CatalogueError):
    status = 409
    title = "Conflict"


class PreconditionFailed(Conflict):
    status = 412
    title = "Precondition failed"


class PreconditionRequired(CatalogueError):
    """A change that must say which version it changes did not (RFC 6585)."""

    status = 428
    title = "Precondition required"


class Unavailable(CatalogueError):
    """A part the catalogue needs (its search index on disk) cannot be used just
    now; nothing was changed, and the same request may work later."""

    status = 503
    title = "Service unavailable"


class Invalid(CatalogueError):
    """Input failed validation; ``problems`` lists every problem found."""

    status = 422
    title = "Invalid input"

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems: list[Problem] = problems or []

    def field_errors(self) -> dict[str, list[str]]:
        out: dict[str, list[str]] = {}
        for p in self.problems:
            out.setdefault(p.field or "_", []).append(p.message)
        return out

    def __str__(self) -> str:
        if not self.problems:
            return self.message
        return self.message + "\n" + "\n".join(f"  - {p}" for p in self.problems)


class LineageCycle(Conflict):
    """Adding an edge would make the lineage circular; ``cycle`` shows how."""

    def __init__(self, cycle: list[str]) -> None:
        super().__init__("that lineage would create a cycle: " + " → ".join(cycle))
        self.cycle = cycle
