"""Single sign-on settings and the group mapping file: a value the catalogue
cannot use stops it with a message naming the variable, or the file, line,
field and allowed values (#16)."""

from __future__ import annotations

from pathlib import Path

import pytest

from catalogue.single_sign_on import (
    GroupMapping,
    GroupRule,
    SignInSettingError,
    load_sign_in_settings,
    read_group_mapping,
)

SSO = {
    "CATALOGUE_OIDC_ISSUER": "https://login.microsoftonline.com/tenant-id/v2.0",
    "CATALOGUE_OIDC_CLIENT_ID": "client",
    "CATALOGUE_OIDC_CLIENT_SECRET": "secret",
}


def test_without_sso_variables_passwords_work_as_today() -> None:
    settings = load_sign_in_settings({})
    assert settings.provider is None and settings.local_sign_in is True


def test_sso_from_the_environment_with_an_entra_mapping(tmp_path: Path) -> None:
    mapping = tmp_path / "groups.yaml"
    mapping.write_text(
        "groups:\n"
        "  - {group: 5f0c1c54-0000-4000-8000-000000000001, role: admin}\n"
        "  - group: 5f0c1c54-0000-4000-8000-000000000002\n"
        "    role: steward\n"
        "    department: Housing\n",
        encoding="utf-8",
    )
    settings = load_sign_in_settings(
        {
            **SSO,
            "CATALOGUE_OIDC_GROUP_MAPPING": str(mapping),
            "CATALOGUE_OIDC_DEFAULT_ROLE": "refuse",
            "CATALOGUE_OIDC_TENANT_ID": "tenant-id",
            "CATALOGUE_PUBLIC_URL": "https://data.thamesbury.gov.uk/",
            "CATALOGUE_OIDC_GROUP_CLAIMS": "roles",
            "CATALOGUE_LOCAL_SIGN_IN": "off",
        }
    )
    provider = settings.provider
    assert provider is not None
    assert provider.discovery_url == (
        "https://login.microsoftonline.com/tenant-id/v2.0/.well-known/openid-configuration"
    )
    assert provider.mapping.rules[1] == GroupRule(
        "5f0c1c54-0000-4000-8000-000000000002", "steward", "Housing"
    )
    assert provider.mapping.resolve(["nobody"]) == (None, None)
    assert (provider.tenant_id, provider.public_url) == (
        "tenant-id",
        "https://data.thamesbury.gov.uk",
    )
    assert provider.group_claims == ("roles",) and settings.local_sign_in is False


def test_the_first_matching_rule_gives_the_role_and_the_first_department_counts() -> None:
    mapping = GroupMapping(
        (GroupRule("admins", "admin"), GroupRule("housing", "viewer", "Housing")), "viewer"
    )
    assert mapping.resolve(["HOUSING", "Admins"]) == ("admin", "Housing")
    assert mapping.resolve([]) == ("viewer", None)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CATALOGUE_OIDC_ISSUER": SSO["CATALOGUE_OIDC_ISSUER"]}, "CATALOGUE_OIDC_CLIENT_ID"),
        ({**SSO, "CATALOGUE_OIDC_ISSUER": "http://idp.example"}, "must be an https:// URL"),
        ({**SSO, "CATALOGUE_OIDC_DEFAULT_ROLE": "guest"}, "one of viewer, refuse"),
        ({**SSO, "CATALOGUE_OIDC_SCOPES": "email"}, "must include openid"),
        ({**SSO, "CATALOGUE_OIDC_TIMEOUT": "0"}, "CATALOGUE_OIDC_TIMEOUT"),
        ({**SSO, "CATALOGUE_OIDC_AUTO_SIGN_IN": "maybe"}, "on or off"),
        ({"CATALOGUE_LOCAL_SIGN_IN": "off"}, "nobody could sign in"),
    ],
)
def test_unusable_settings_are_named(env: dict[str, str], message: str) -> None:
    with pytest.raises(SignInSettingError, match=message):
        load_sign_in_settings(env)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("groups:\n  - {group: g1, role: admin}\n  - {group: g2, role: boss}\n",
         r"groups.yaml:3: field 'role' must be one of viewer, steward, auditor, admin "
         r"\(got 'boss'\)"),
        ("groups:\n  - {role: admin}\n", r"groups.yaml:2: field 'group' is required"),
        ("groups:\n  - {group: g, role: admin, dept: Housing}\n",
         r"groups.yaml:2: field 'dept' is not known; allowed: group, role, department"),
        ("- {group: g, role: admin}\n", r"groups.yaml:1: expected 'groups:'"),
        ("groups: [\n", r"groups.yaml:\d+: not valid YAML"),
    ],
    ids=["bad-role", "no-group", "unknown-field", "no-groups-key", "not-yaml"],
)  # fmt: skip
def test_a_bad_mapping_file_is_named_with_its_line(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "groups.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SignInSettingError, match=message):
        read_group_mapping(path)


def test_the_cli_stops_with_the_variable_named(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from cli import main

    env = {
        **SSO,
        "CATALOGUE_OIDC_GROUP_MAPPING": "/nowhere/groups.yaml",
        "CATALOGUE_INSTANCE_PATH": str(tmp_path),
    }
    result = CliRunner().invoke(main, ["db", "current"], env=env)
    assert result.exit_code == 1
    assert "CATALOGUE_OIDC_GROUP_MAPPING /nowhere/groups.yaml: cannot be read" in result.output
    assert "Traceback" not in result.output
