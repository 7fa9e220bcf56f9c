"""Settings with defaults that work out of the box, each overridable by environment.

The CLI and the web app read the same settings through :func:`load_settings`.
"""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from catalogue.coverage import DEFAULT_TARGETS, parse_targets
from catalogue.errors import CatalogueError
from catalogue.governance import Controller, ReviewPolicy, parse_review_months
from catalogue.single_sign_on import SignInSettingError, SignInSettings, load_sign_in_settings

ENV_PREFIX = "CATALOGUE_"
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
LOG_FORMATS = ("json", "text")
#: Controller fields of the Article 30 record and the variables that set them.
CONTROLLER_VARIABLES = {
    "name": "CATALOGUE_CONTROLLER_NAME",
    "contact": "CATALOGUE_CONTROLLER_CONTACT",
    "dpo": "CATALOGUE_DPO_CONTACT",
    "security_measures": "CATALOGUE_SECURITY_MEASURES",
}


class SettingError(CatalogueError):
    """A CATALOGUE_* variable holds a value the catalogue cannot use."""

    status = 500
    title = "Misconfigured"


def _default_actor() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (containers): fall back to a plain name
        return "unknown"


@dataclass(frozen=True)
class Settings:
    """Everything a process needs to reach the catalogue.

    ``database_url`` defaults to an SQLite file in the instance folder; the search
    index lives under the instance folder unless ``index_dir`` says otherwise.
    """

    instance_path: Path = field(default_factory=lambda: Path.cwd() / "instance")
    database_url: str = ""
    index_dir: Path | None = None
    actor: str = field(default_factory=_default_actor)
    secret_key: str = ""
    synonyms_path: Path | None = None
    log_requests: bool = True
    # Under `catalogue serve`: one JSON object a line (or plain text) to stderr.
    log_level: str = "INFO"
    log_format: str = "json"
    # Seconds a new PostgreSQL connection may take before the request fails (503).
    database_connect_timeout: int = 5
    max_content_length: int = 16 * 1024 * 1024
    # None: Secure session cookies except in debug/testing and plain-HTTP loopback.
    session_cookie_secure: bool | None = None
    # API changes to an asset must send If-Match (or the version read): 428 if not.
    require_if_match: bool = True
    # A signed-in session ends after this long unused, and this long after sign-in.
    session_idle_minutes: int = 60
    session_lifetime_hours: int = 12
    # The furthest ahead an access request may ask to keep its grant, in days (#17).
    access_grant_max_days: int = 365
    # Months between owners' reviews, by asset kind (CATALOGUE_REVIEW_MONTHS="12,report=6").
    review_policy: ReviewPolicy = field(default_factory=ReviewPolicy)
    # The controller and DPO the Article 30 record names (CATALOGUE_CONTROLLER_* etc.).
    controller: Controller = field(default_factory=Controller)
    # Coverage targets in percent by measure (CATALOGUE_COVERAGE_TARGETS="dpia=95").
    coverage_targets: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_TARGETS))
    # Single sign-on (CATALOGUE_OIDC_*) and the local password form (CATALOGUE_LOCAL_SIGN_IN).
    sign_in: SignInSettings = field(default_factory=SignInSettings)

    @property
    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.instance_path / 'catalogue.db'}"

    @property
    def resolved_index_dir(self) -> Path:
        return self.index_dir or (self.instance_path / "search-index")

    @property
    def engine_options(self) -> dict[str, Any]:
        """Extra engine arguments: a PostgreSQL connection attempt gives up after
        ``database_connect_timeout`` seconds, so a request fails fast (503)
        instead of hanging while the server is unreachable."""
        if not self.resolved_database_url.startswith("postgresql"):
            return {}
        return {"connect_args": {"connect_timeout": self.database_connect_timeout}}


def load_settings(overrides: dict[str, Any] | None = None) -> Settings:
    """Build settings from defaults, then ``CATALOGUE_*`` variables, then ``overrides``.

    Creates the instance folder on first use.
    """
    env = os.environ
    values: dict[str, Any] = {
        name: read(variable, env[variable])
        for name, variable, read in _VARIABLES
        if env.get(variable)
    }
    secure = env.get("CATALOGUE_SESSION_COOKIE_SECURE", "").strip().lower()
    if secure in {"1", "true", "yes", "0", "false", "no"}:
        values["session_cookie_secure"] = secure in {"1", "true", "yes"}
    controller = {
        name: env[variable].strip()
        for name, variable in CONTROLLER_VARIABLES.items()
        if env.get(variable, "").strip()
    }
    if controller:
        values["controller"] = Controller(**controller)
    try:
        values["sign_in"] = load_sign_in_settings(env)
    except SignInSettingError as error:
        raise SettingError(error.message) from None
    settings = replace(Settings(), **values)
    if overrides:
        converted: dict[str, Any] = {
            k: Path(v) if k in {"instance_path", "index_dir", "synonyms_path"} and v else v
            for k, v in overrides.items()
        }
        settings = replace(settings, **converted)
    try:
        settings.instance_path.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise SettingError(
            f"CATALOGUE_INSTANCE_PATH {str(settings.instance_path)!r} cannot be used: "
            f"{error.strerror or error}. Name a folder the catalogue may create and write."
        ) from None
    return settings


def _folder(_: str, value: str) -> Path:
    return Path(value).resolve()


def _as_given(_: str, value: str) -> str:
    return value


def _parsed_by(parse: Callable[[str], Any]) -> Callable[[str, str], Any]:
    """A reader for a variable ``parse`` understands; its ValueError becomes a
    SettingError that names the variable."""

    def read(name: str, value: str) -> Any:
        try:
            return parse(value)
        except ValueError as error:
            raise SettingError(f"{name}: {error}") from None

    return read


def _whole_seconds(name: str, value: str) -> int:
    """A positive whole number of seconds; SettingError naming the variable otherwise."""
    try:
        seconds = int(value.strip())
    except ValueError:
        seconds = 0
    if seconds < 1:
        raise SettingError(f"{name} must be a whole number of seconds, at least 1 (got {value!r})")
    return seconds


def _whole_number(name: str, value: str) -> int:
    """A whole number, at least 1; SettingError naming the variable otherwise."""
    text = value.strip()
    if not text.isdigit() or int(text) < 1:
        raise SettingError(f"{name} must be a whole number, at least 1 (got {value!r})")
    return int(text)


def _yes_or_no(name: str, value: str) -> bool:
    """true/false (or yes/no, 1/0); SettingError naming the variable otherwise."""
    text = value.strip().lower()
    if text not in {"1", "true", "yes", "0", "false", "no"}:
        raise SettingError(f"{name} must be true or false (got {value!r})")
    return text in {"1", "true", "yes"}


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> str:
    """``value`` matched case-insensitively against ``allowed``; SettingError otherwise."""
    for choice in allowed:
        if value.strip().lower() == choice.lower():
            return choice
    raise SettingError(f"{name} must be one of {', '.join(allowed)} (got {value!r})")


#: (setting, variable, how its text is read) of each setting a variable sets
#: on its own; a reader raises SettingError naming the variable.
_VARIABLES: tuple[tuple[str, str, Callable[[str, str], Any]], ...] = (
    ("instance_path", "CATALOGUE_INSTANCE_PATH", _folder),
    ("database_url", "CATALOGUE_DATABASE_URL", _as_given),
    ("index_dir", "CATALOGUE_INDEX_DIR", _folder),
    ("actor", "CATALOGUE_ACTOR", _as_given),
    ("secret_key", "CATALOGUE_SECRET_KEY", _as_given),
    ("synonyms_path", "CATALOGUE_SYNONYMS", _folder),
    ("log_level", "CATALOGUE_LOG_LEVEL", lambda name, value: _one_of(name, value, LOG_LEVELS)),
    ("log_format", "CATALOGUE_LOG_FORMAT", lambda name, value: _one_of(name, value, LOG_FORMATS)),
    ("database_connect_timeout", "CATALOGUE_DATABASE_CONNECT_TIMEOUT", _whole_seconds),
    ("require_if_match", "CATALOGUE_REQUIRE_IF_MATCH", _yes_or_no),
    ("session_idle_minutes", "CATALOGUE_SESSION_IDLE_MINUTES", _whole_number),
    ("session_lifetime_hours", "CATALOGUE_SESSION_LIFETIME_HOURS", _whole_number),
    ("access_grant_max_days", "CATALOGUE_ACCESS_GRANT_MAX_DAYS", _whole_number),
    ("review_policy", "CATALOGUE_REVIEW_MONTHS", _parsed_by(parse_review_months)),
    ("coverage_targets", "CATALOGUE_COVERAGE_TARGETS", _parsed_by(parse_targets)),
)
