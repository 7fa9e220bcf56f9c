"""Single sign-on with the council's OpenID provider (Microsoft Entra ID, Google,
Okta, Keycloak…): the authorization-code flow with PKCE, through Authlib's
Flask client.

``/sign-in/sso`` sends the person to the provider; ``/sign-in/sso/callback``
takes them back, checks the answer (state, the code at the token endpoint, the
ID token's signature, issuer, audience, expiry and nonce) and signs them in to
a server-side session, as a password sign-in does. Anything wrong signs nobody
in: the person sees a page saying what to do, and the audit trail says why.
What the claims make of an account is ``catalogue.services.directory``.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlencode, urlsplit

import requests
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import login_user
from joserfc.errors import ClaimError, ExpiredTokenError, JoseError

from catalogue.http import catalogue, current_principal
from catalogue.services.accounts import principal_for
from catalogue.services.directory import (
    SignInRefused,
    read_claims,
    refuse,
    sign_in_from_directory,
)
from catalogue.services.sessions import start_session
from catalogue.single_sign_on import OpenIDProvider
from catalogue.web.auth import SignedInUser, safe_next

bp = Blueprint("sso", __name__)
CLIENT = "council"
#: Session keys: where to go after signing in; how this session signed in; the
#: automatic sign-in already tried (so a refusal does not loop).
NEXT, SIGNED_IN_WITH, AUTO_TRIED = "sso_next", "signed_in_with", "sso_auto_tried"
#: Pages the automatic sign-in leaves alone.
NOT_AUTO = ("/api/", "/static/", "/healthz", "/readyz", "/sign-in", "/sign-out", "/signed-out")
#: What a claim that failed its check means, for the audit trail.
CLAIM_REASONS = {
    "nonce": "bad nonce",
    "iss": "wrong issuer",
    "aud": "wrong audience",
    "azp": "wrong audience",
}
UNREACHABLE = (
    "The council's sign-in service is not answering. Nobody has been signed in. "
    "Try again in a few minutes."
)


def provider() -> OpenIDProvider | None:
    return current_app.config["SETTINGS"].sign_in.provider


def configured() -> OpenIDProvider:
    """The provider, on a route that exists only when single sign-on is set up."""
    found = provider()
    if found is None:
        abort(404)
    return found


def client() -> Any:
    """The registered Authlib client (404 when single sign-on is not set up)."""
    registry = current_app.extensions.get("authlib.integrations.flask_client")
    if provider() is None or registry is None:
        abort(404)
    return registry.create_client(CLIENT)


def public_url(endpoint: str) -> str:
    """An absolute URL of ours, as registered with the provider."""
    configured = provider()
    if configured is not None and configured.public_url:
        return configured.public_url + url_for(endpoint)
    return url_for(endpoint, _external=True)


def refused_page(error: SignInRefused) -> tuple[str, int, dict[str, str]]:
    """The clear page of a refused sign-in (GOV.UK style); 503s say when to retry."""
    session[AUTO_TRIED] = True
    headers = {"Cache-Control": "no-store"}
    if error.status == 503:
        headers["Retry-After"] = "30"
    page = render_template(
        "auth/sso_refused.html",
        title=error.title if error.status != 503 else "Sign-in is not available",
        message=error.message,
        status=error.status,
        provider_name=getattr(provider(), "name", ""),
    )
    return page, error.status, headers


@bp.get("/sign-in/sso")
def start() -> Any:
    """Send the person to the provider, remembering where they were going."""
    sso = client()
    session[NEXT] = safe_next(request.args.get("next"))
    try:
        return sso.authorize_redirect(public_url("sso.callback"))
    except (requests.RequestException, ValueError) as error:
        with catalogue().read() as db:
            refusal = refuse(
                db, f"provider unreachable ({type(error).__name__})", UNREACHABLE, None,
                request.remote_addr, status=503,
            )  # fmt: skip
        return refused_page(refusal)


@bp.get("/sign-in/sso/callback")
def callback() -> Any:
    """The provider's answer: sign the person in, or say clearly why not."""
    sso = client()
    try:
        claims, id_token = _checked_claims(sso)
        with catalogue().read() as db:
            user = sign_in_from_directory(
                db, read_claims(claims, configured()), configured(), request.remote_addr
            )
            secret = start_session(db, user, id_token_hint=id_token)
            db.commit()
            principal = principal_for(user)
    except SignInRefused as error:
        return refused_page(error)
    next_url = safe_next(session.get(NEXT))
    session.clear()  # a fresh session for the signed-in person
    login_user(SignedInUser(secret, principal))
    session[SIGNED_IN_WITH] = "sso"
    return redirect(next_url)


def _checked_claims(sso: Any) -> tuple[dict[str, Any], str]:
    """The ID token's claims, every check passed, and the token itself (kept
    with the session for signing out at the provider); SignInRefused
    (recorded) if not."""

    def refused(reason: str, message: str, status: int = 403) -> SignInRefused:
        with catalogue().read() as db:
            return refuse(db, reason, message, None, request.remote_addr, status)

    if request.args.get("error"):
        raise refused(*_provider_said(request.args["error"]))
    try:
        token = sso.authorize_access_token()
    except MismatchingStateError:
        raise refused(
            "bad state",
            "This sign-in did not start here, or was already used. Start again from the "
            "sign-in page.",
            400,
        ) from None
    except OAuthError as error:
        raise refused(
            f"code refused by the provider ({error.error})",
            "The council's sign-in service refused this sign-in (it may have been used "
            "already). Start again from the sign-in page.",
        ) from None
    except ExpiredTokenError:
        raise refused("expired token", _INVALID_TOKEN) from None
    except ClaimError as error:
        claim = getattr(error, "claim", "") or ""
        raise refused(CLAIM_REASONS.get(claim, f"bad claim {claim}"), _INVALID_TOKEN) from None
    except JoseError as error:
        raise refused(f"bad signature ({type(error).__name__})", _INVALID_TOKEN) from None
    except requests.RequestException as error:
        raise refused(f"provider unreachable ({type(error).__name__})", UNREACHABLE, 503) from None
    claims = token.get("userinfo")
    if not claims:
        raise refused("no ID token", _INVALID_TOKEN)
    return dict(claims), token["id_token"]


def _provider_said(error: str) -> tuple[str, str]:
    """The audit's reason and the person's message when the provider sent back
    an error instead of a code."""
    error = re.sub(r"[^\w.-]", "?", error)[:60]  # only plain characters reach the audit
    message = (
        "You did not agree to sign in to the catalogue."
        if error == "access_denied"
        else "The council's sign-in service could not sign you in."
    )
    return f"provider said {error}", message + " Nobody has been signed in."


_INVALID_TOKEN = (
    "The answer from the council's sign-in service could not be trusted, so nobody has "
    "been signed in. Start again from the sign-in page; if it happens again, tell the "
    "catalogue's administrators."
)


def provider_sign_out_url(id_token_hint: str | None) -> str | None:
    """Where to end the provider's session too (RP-initiated logout), if it
    offers it: with the session's ID token as ``id_token_hint`` (Okta requires
    it), the client id, and where to come back."""
    if provider() is None:
        return None
    try:
        metadata = client().load_server_metadata()
    except (requests.RequestException, ValueError):
        return None
    endpoint = metadata.get("end_session_endpoint")
    if not endpoint:
        return None
    parameters = {
        "client_id": configured().client_id,
        "post_logout_redirect_uri": public_url("sso.signed_out"),
    }
    if id_token_hint:
        parameters["id_token_hint"] = id_token_hint
    query = urlencode(parameters)
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


@bp.get("/signed-out")
def signed_out() -> Any:
    """Where the provider sends people back after signing out there too."""
    session[AUTO_TRIED] = True
    return render_template("auth/signed_out.html"), 200, {"Cache-Control": "no-store"}


def sign_in_automatically() -> ResponseReturnValue | None:
    """before_request, when CATALOGUE_OIDC_AUTO_SIGN_IN is on: an anonymous
    visitor to a page goes straight to the provider (once per browser session:
    after a refusal or a sign-out they stay as they are)."""
    if (
        request.method != "GET"
        or current_principal().signed_in
        or request.path.startswith(NOT_AUTO)
        or session.get(AUTO_TRIED)
        or request.accept_mimetypes.best == "application/json"
    ):
        return None
    session[AUTO_TRIED] = True
    return redirect(url_for("sso.start", next=request.full_path.rstrip("?")))


def init_app(app: Flask) -> None:
    """Register the provider with Authlib when single sign-on is configured."""
    configured: OpenIDProvider | None = app.config["SETTINGS"].sign_in.provider
    app.register_blueprint(bp)
    if configured is None:
        return
    oauth = OAuth(app)
    oauth.register(
        CLIENT,
        client_id=configured.client_id,
        client_secret=configured.client_secret,
        server_metadata_url=configured.discovery_url,
        client_kwargs={
            "scope": configured.scopes,
            "code_challenge_method": "S256",
            "default_timeout": configured.timeout_seconds,
        },
    )
    # Pages' forms may lead to the provider: the sign-out button ends its session too.
    issuer = urlsplit(configured.issuer)
    app.config["CSP_FORM_ACTIONS"] = (f"{issuer.scheme}://{issuer.netloc}",)
    if configured.auto_sign_in:
        app.before_request(sign_in_automatically)
