"""A real OpenID provider for the single sign-on tests, and a tampering relay.

The provider is ``oidc-provider-mock``: the real protocol (discovery, JWKS,
authorization codes, PKCE, RS256-signed ID tokens, RP-initiated logout) served
on a loopback port from a thread of the test. People are put in its directory
with :func:`put_person` and sign in by posting its authorization form.

:class:`Relay` stands between the catalogue and the provider's token endpoint,
as an attacker on the path (or a broken provider) would: it can swap the ID
token for another one, spoil its signature, announce another issuer, or hang.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import requests
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

CLIENT_ID = "council-data-catalogue"
CLIENT_SECRET = "catalogue-test-secret"


@contextmanager
def provider_running(token_lifetime: timedelta = timedelta(hours=1)) -> Iterator[str]:
    """An OpenID provider on a free loopback port; yields its issuer URL."""
    import oidc_provider_mock

    with oidc_provider_mock.run_server_in_thread(access_token_max_age=token_lifetime) as server:
        yield f"http://localhost:{server.server_port}"


def put_person(issuer: str, sub: str, claims: dict[str, Any]) -> None:
    """Put ``sub`` in the provider's directory with these claims (replacing any)."""
    response = requests.put(f"{issuer}/users/{quote(sub, safe='')}", json=claims, timeout=10)
    assert response.status_code == 204, response.text


def approve(authorize_url: str, sub: str, **changes: str) -> str:
    """Sign in at the provider as ``sub`` (its form), the authorization request
    changed by ``changes`` (``nonce="…"``, ``nonce=""`` to drop it, ``client_id=…``);
    returns where the provider sends the browser back (the callback, with code
    and state)."""
    parts = urlsplit(authorize_url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    for name, value in changes.items():
        if value:
            query[name] = value
        else:
            query.pop(name, None)
    base = f"{parts.scheme}://{parts.netloc}{parts.path}"
    answer = requests.post(base, params=query, data={"sub": sub}, allow_redirects=False, timeout=10)
    assert answer.status_code == 302, answer.text
    return answer.headers["Location"]


def id_token_for_another_service(issuer: str, sub: str, nonce: str) -> str:
    """A genuine ID token from the provider, but issued to another service
    (audience ``another-council-service``), as a token thief would hold; it
    carries ``nonce``, so only its audience is wrong."""
    start = requests.Request(
        "GET",
        f"{issuer}/oauth2/authorize",
        params={
            "client_id": "another-council-service",
            "redirect_uri": "http://localhost/elsewhere",
            "response_type": "code",
            "scope": "openid email profile",
            "nonce": nonce,
            "state": "s",
        },
    ).prepare()
    back = approve(start.url or "", sub)
    code = parse_qs(urlsplit(back).query)["code"][0]
    token = requests.post(
        f"{issuer}/oauth2/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://localhost/elsewhere",
            "client_id": "another-council-service",
            "client_secret": "theirs",
        },
        timeout=10,
    )
    return token.json()["id_token"]


@dataclass
class Relay:
    """Serves the provider's discovery document with its token endpoint moved
    here, and relays token requests, changing the answer as told."""

    issuer: str
    base: str = ""
    swap_id_token: str | None = None
    spoil_signature: bool = False
    announce_issuer: str | None = None
    hang: threading.Event | None = None
    seen: list[str] = field(default_factory=list)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        request = Request(environ)
        self.seen.append(request.path)
        if self.hang is not None:
            self.hang.wait(60)
        if request.path.endswith("/.well-known/openid-configuration"):
            discovery = f"{self.issuer}/.well-known/openid-configuration"
            document = requests.get(discovery, timeout=10).json()
            document["token_endpoint"] = f"{self.base}/oauth2/token"
            if self.announce_issuer:
                document["issuer"] = self.announce_issuer
            response = Response(json.dumps(document), content_type="application/json")
        elif request.path == "/oauth2/token":
            answer = requests.post(
                f"{self.issuer}/oauth2/token",
                data=request.form.to_dict(),
                headers={"Authorization": request.headers.get("Authorization", "")},
                timeout=10,
            )
            body = answer.json()
            if "id_token" in body:
                body["id_token"] = self._changed(body["id_token"])
            response = Response(
                json.dumps(body), status=answer.status_code, content_type="application/json"
            )
        else:
            response = Response("not relayed", status=404)
        return response(environ, start_response)

    def _changed(self, id_token: str) -> str:
        if self.swap_id_token:
            return self.swap_id_token
        if self.spoil_signature:
            head, body, signature = id_token.split(".")
            flipped = "A" if signature[10] != "A" else "B"
            return ".".join([head, body, signature[:10] + flipped + signature[11:]])
        return id_token


@contextmanager
def relay_running(relay: Relay) -> Iterator[Relay]:
    """Serve ``relay`` on a free loopback port (its ``base`` set)."""
    server = make_server("127.0.0.1", 0, relay, threaded=True)
    relay.base = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield relay
    finally:
        if relay.hang is not None:
            relay.hang.set()
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
