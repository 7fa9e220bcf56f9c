"""Single sign-on settings (OpenID Connect) and the council's mapping of directory
groups to the catalogue's roles and departments.

Read from ``CATALOGUE_OIDC_*`` variables (and ``CATALOGUE_LOCAL_SIGN_IN``) by
:func:`load_sign_in_settings`; a value the catalogue cannot use raises
``SettingError`` naming the variable, or the mapping file, line and field.
Pure: no Flask, no database. The flow itself is ``catalogue.web.single_sign_on``;
what a sign-in does to an account is ``catalogue.services.directory``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from catalogue.errors import CatalogueError

ROLES = ("viewer", "steward", "auditor", "admin")
DEFAULT_ROLES = ("viewer", "refuse")
DISCOVERY_PATH = "/.well-known/openid-configuration"
LOOPBACK = {"localhost", "127.0.0.1", "::1"}
ON, OFF = {"1", "on", "true", "yes"}, {"0", "off", "false", "no"}


class SignInSettingError(CatalogueError):
    """A sign-in variable or the group mapping file holds what cannot be used."""

    status = 500
    title = "Misconfigured"


@dataclass(frozen=True)
class GroupRule:
    """One line of the mapping: members of ``group`` get ``role`` (and ``department``)."""

    group: str
    role: str
    department: str | None = None


@dataclass(frozen=True)
class GroupMapping:
    """Directory groups (or app roles) → the catalogue's role and department.

    Rules are read in order: the first rule whose group the person is in gives
    the role; the first such rule that names a department gives the department.
    Someone in no mapped group gets ``default_role``, or is refused when it is
    ``refuse``.
    """

    rules: tuple[GroupRule, ...] = ()
    default_role: str = "viewer"

    def resolve(self, groups: Iterable[str]) -> tuple[str | None, str | None]:
        """(role, department) for someone in ``groups``; role None means refused."""
        member = {g.strip().lower() for g in groups}
        matched = [rule for rule in self.rules if rule.group.lower() in member]
        department = next((r.department for r in matched if r.department), None)
        if matched:
            return matched[0].role, department
        return (None if self.default_role == "refuse" else self.default_role), department


@dataclass(frozen=True)
class OpenIDProvider:
    """How to reach the council's OpenID provider and which claims to read."""

    issuer: str
    client_id: str
    client_secret: str
    name: str = "your council account"
    scopes: str = "openid email profile"
    subject_claim: str = "sub"
    email_claims: tuple[str, ...] = ("email", "preferred_username", "upn")
    name_claim: str = "name"
    group_claims: tuple[str, ...] = ("groups", "roles")
    tenant_id: str | None = None
    timeout_seconds: int = 10
    auto_sign_in: bool = False
    # The catalogue's address as people reach it (behind a TLS proxy), for the
    # redirect URIs registered with the provider; None: as the request came.
    public_url: str | None = None
    mapping: GroupMapping = field(default_factory=GroupMapping)

    @property
    def discovery_url(self) -> str:
        issuer = self.issuer.rstrip("/")
        return issuer if issuer.endswith(DISCOVERY_PATH) else issuer + DISCOVERY_PATH


@dataclass(frozen=True)
class SignInSettings:
    """Single sign-on (None: passwords only, as the demo runs) and whether the
    local password form is offered."""

    provider: OpenIDProvider | None = None
    local_sign_in: bool = True


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value not in ON | OFF:
        raise SignInSettingError(f"{name} must be on or off (got {env[name]!r})")
    return value in ON


def _names(env: Mapping[str, str], name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    value = env.get(name, "")
    names = tuple(part.strip() for part in value.split(",") if part.strip())
    return names or default


def secure_issuer(url: str) -> bool:
    """https, or plain http to this machine only (a provider run locally to try it)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and parts.hostname in LOOPBACK


def load_sign_in_settings(env: Mapping[str, str]) -> SignInSettings:
    """Sign-in settings from the environment. Raises SignInSettingError naming
    the variable (or the mapping file's line) for a value that cannot be used."""
    local = _flag(env, "CATALOGUE_LOCAL_SIGN_IN", True)
    given = _client(env, local)
    if given is None:
        return SignInSettings(provider=None, local_sign_in=True)
    default_role = _default_role(env)
    mapping_file = env.get("CATALOGUE_OIDC_GROUP_MAPPING", "").strip()
    rules = read_group_mapping(Path(mapping_file)) if mapping_file else ()
    timeout = _timeout(env)
    provider = OpenIDProvider(
        issuer=given["ISSUER"],
        client_id=given["CLIENT_ID"],
        client_secret=given["CLIENT_SECRET"],
        name=env.get("CATALOGUE_OIDC_PROVIDER_NAME", "").strip() or "your council account",
        scopes=env.get("CATALOGUE_OIDC_SCOPES", "").strip() or "openid email profile",
        subject_claim=env.get("CATALOGUE_OIDC_SUBJECT_CLAIM", "").strip() or "sub",
        email_claims=_names(env, "CATALOGUE_OIDC_EMAIL_CLAIMS", OpenIDProvider.email_claims),
        name_claim=env.get("CATALOGUE_OIDC_NAME_CLAIM", "").strip() or "name",
        group_claims=_names(env, "CATALOGUE_OIDC_GROUP_CLAIMS", OpenIDProvider.group_claims),
        tenant_id=env.get("CATALOGUE_OIDC_TENANT_ID", "").strip() or None,
        timeout_seconds=timeout,
        auto_sign_in=_flag(env, "CATALOGUE_OIDC_AUTO_SIGN_IN", False),
        public_url=env.get("CATALOGUE_PUBLIC_URL", "").strip().rstrip("/") or None,
        mapping=GroupMapping(rules=rules, default_role=default_role),
    )
    if "openid" not in provider.scopes.split():
        raise SignInSettingError(
            f"CATALOGUE_OIDC_SCOPES must include openid (got {provider.scopes!r})"
        )
    return SignInSettings(provider=provider, local_sign_in=local)


def _client(env: Mapping[str, str], local: bool) -> dict[str, str] | None:
    """The provider's issuer and this catalogue's client id and secret (keys
    ISSUER, CLIENT_ID, CLIENT_SECRET), or None when single sign-on is not set up."""
    given = {
        key: env.get(f"CATALOGUE_OIDC_{key}", "").strip()
        for key in ("ISSUER", "CLIENT_ID", "CLIENT_SECRET")
    }
    if not any(given.values()):
        if not local:
            raise SignInSettingError(
                "CATALOGUE_LOCAL_SIGN_IN=off needs single sign-on: set CATALOGUE_OIDC_ISSUER, "
                "CATALOGUE_OIDC_CLIENT_ID and CATALOGUE_OIDC_CLIENT_SECRET, or nobody could sign in"
            )
        return None
    missing = [f"CATALOGUE_OIDC_{key}" for key, value in given.items() if not value]
    if missing:
        raise SignInSettingError(f"single sign-on also needs {', '.join(missing)}")
    if not secure_issuer(given["ISSUER"]):
        raise SignInSettingError(
            "CATALOGUE_OIDC_ISSUER must be an https:// URL (http:// only for a provider on "
            f"this machine, to try it out) (got {given['ISSUER']!r})"
        )
    return given


def _default_role(env: Mapping[str, str]) -> str:
    """The role of someone signed in whose groups the mapping does not name."""
    role = env.get("CATALOGUE_OIDC_DEFAULT_ROLE", "").strip().lower() or "viewer"
    if role not in DEFAULT_ROLES:
        raise SignInSettingError(
            f"CATALOGUE_OIDC_DEFAULT_ROLE must be one of {', '.join(DEFAULT_ROLES)} "
            f"(got {env['CATALOGUE_OIDC_DEFAULT_ROLE']!r})"
        )
    return role


def _timeout(env: Mapping[str, str]) -> int:
    """Seconds to wait for the provider, 1 to 120 (10 unless set)."""
    timeout = env.get("CATALOGUE_OIDC_TIMEOUT", "").strip() or "10"
    if not timeout.isdigit() or not 1 <= int(timeout) <= 120:
        raise SignInSettingError(
            f"CATALOGUE_OIDC_TIMEOUT must be a whole number of seconds, 1 to 120 (got {timeout!r})"
        )
    return int(timeout)


def read_group_mapping(path: Path) -> tuple[GroupRule, ...]:
    """The rules of a group mapping file (YAML): a list under ``groups:`` of
    ``{group: ID-OR-NAME, role: ROLE, department: NAME}``. Raises
    SignInSettingError naming the file, line and field for anything wrong.

    PyYAML is imported here, not at the top: only a catalogue signing in through
    OpenID Connect with a mapping file reads one, and every command line start
    reads these settings (#20)."""
    import yaml

    where = f"CATALOGUE_OIDC_GROUP_MAPPING {path}"
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise SignInSettingError(f"{where}: cannot be read ({error.strerror or error})") from None
    try:
        root = yaml.compose(text)
    except yaml.YAMLError as error:
        mark = getattr(error, "problem_mark", None)
        line = f":{mark.line + 1}" if mark else ""
        raise SignInSettingError(f"{path}{line}: not valid YAML") from None
    if not isinstance(root, yaml.MappingNode):
        raise SignInSettingError(f"{path}:1: expected 'groups:' followed by a list of rules")
    top = {key.value: value for key, value in root.value}
    groups = top.get("groups")
    if not isinstance(groups, yaml.SequenceNode):
        raise SignInSettingError(f"{path}:1: expected 'groups:' followed by a list of rules")
    return tuple(_rule(path, item) for item in groups.value)


def _rule(path: Path, node: Any) -> GroupRule:
    import yaml  # already imported by read_group_mapping

    line = f"{path}:{node.start_mark.line + 1}"
    if not isinstance(node, yaml.MappingNode):
        raise SignInSettingError(f"{line}: each rule is {{group: …, role: …, department: …}}")
    values = {key.value: value for key, value in node.value}
    unknown = sorted(set(values) - {"group", "role", "department"})
    if unknown:
        raise SignInSettingError(
            f"{line}: field {unknown[0]!r} is not known; allowed: group, role, department"
        )
    text = {
        name: str(value.value).strip()
        for name, value in values.items()
        if isinstance(value, yaml.ScalarNode) and str(value.value).strip()
    }
    if "group" not in text:
        raise SignInSettingError(f"{line}: field 'group' is required (a group's id or name)")
    role = text.get("role", "")
    if role not in ROLES:
        raise SignInSettingError(
            f"{line}: field 'role' must be one of {', '.join(ROLES)} (got {role!r})"
        )
    return GroupRule(group=text["group"], role=role, department=text.get("department"))
