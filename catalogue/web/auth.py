"""Who is asking: sign-in and sign-out pages, and the hook that sets
``g.principal`` on every request from the session or an API token.

Pages and API routes read ``catalogue.http.current_principal()`` and pass it
to the services; they never look at the session or headers themselves.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Flask,
    Response,
    current_app,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
)
from flask.typing import ResponseReturnValue
from flask_login import (
    AnonymousUserMixin,
    LoginManager,
    UserMixin,
    login_required,
    login_user,
    logout_user,
)
from flask_login import current_user as flask_login_user

from catalogue.errors import Invalid, Unauthorized
from catalogue.http import catalogue, current_principal, problem
from catalogue.security import request_api_token
from catalogue.services import accounts, authentication, passwords
from catalogue.services.access import Principal
from catalogue.services.sessions import Lifetimes, end_session, resume_session, start_session
from catalogue.web.presenters import sentence_case

bp = Blueprint("auth", __name__)


class SignedInUser(UserMixin):
    """The Flask-Login user of a signed-in session. Its id, which Flask-Login keeps
    in the cookie, is the server-side session's secret (services.sessions)."""

    def __init__(self, secret: str, principal: Principal) -> None:
        self.id = secret
        self.principal = principal


def lifetimes() -> Lifetimes:
    return Lifetimes(idle=current_app.config["SESSION_IDLE"],
                     absolute=current_app.config["SESSION_LIFETIME"])  # fmt: skip


def load_user(secret: str) -> SignedInUser | None:
    """Resume the session from the database on each request: one that was
    signed out, ended by an admin (disabled, role changed) or expired is no one,
    whoever holds a copy of the cookie."""
    with catalogue().read() as db:
        principal = resume_session(db, secret, lifetimes())
    return SignedInUser(secret, principal) if principal else None


def refuse_token(error: Unauthorized) -> Response:
    """401 for a bad API token; problem+json on the API, an error page elsewhere."""
    if not request.path.startswith("/api/"):
        raise error
    response = problem(401, error.title, error.message)
    response.headers["WWW-Authenticate"] = 'Bearer error="invalid_token"'
    return response


def identify_request() -> Response | None:
    """before_request: ``g.principal`` from an API token if the request carries
    one (the session cookie is then ignored), else from the signed-in session.

    A token that is unknown, expired or revoked, or whose account is disabled,
    is refused with 401 at once: it never falls back to anonymous.
    """
    if (request.endpoint or "").endswith("static"):
        return None  # files need no one's identity (and no database query)
    token = request_api_token(request.headers)
    if token is not None:
        try:
            with catalogue().read() as db:
                g.principal = authentication.authenticate_token(db, token)
        except Unauthorized as error:
            return refuse_token(error)
        g.authenticated_by = "token"
        # Flask-Login's per-request user: a token request is not the session's user.
        g._login_user = AnonymousUserMixin()
        return None
    if flask_login_user.is_authenticated:
        g.principal = flask_login_user.principal
        g.authenticated_by = "session"
    return None


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site, never another site."""
    if not target:
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return "/"
    return "/" if "\\" in target else target


def sign_in_page(status: int = 200, **context: Any) -> tuple[str, int, dict[str, str]]:
    """The sign-in page: "Sign in with <provider>" first when single sign-on is
    set up, and the password form unless CATALOGUE_LOCAL_SIGN_IN is off."""
    sign_in = current_app.config["SETTINGS"].sign_in
    context.setdefault("errors", {})
    context.setdefault("username", "")
    context.setdefault("next_url", safe_next(request.values.get("next")))
    context["sso_name"] = sign_in.provider.name if sign_in.provider else None
    context["local_sign_in"] = sign_in.local_sign_in
    return render_template("auth/sign_in.html", **context), status, {"Cache-Control": "no-store"}


@bp.route("/sign-in", methods=["GET", "POST"])
def sign_in() -> Any:
    """The sign-in form; on success, back to where the person was going."""
    if request.method == "GET":
        return sign_in_page()
    if not current_app.config["SETTINGS"].sign_in.local_sign_in:
        message = "Signing in with a password is turned off here: use the button above"
        return sign_in_page(403, errors={"sso": message})
    username = request.form.get("username", "").strip()
    password = request.form.get("password", "")
    errors = {}
    if not username:
        errors["username"] = "Enter your username or email address"
    if not password:
        errors["password"] = "Enter your password"
    if errors:
        return sign_in_page(400, errors=errors, username=username)
    try:
        with catalogue().read() as db:
            principal = authentication.authenticate_password(
                db, username, password, request.remote_addr
            )
            secret = start_session(db, accounts.get_user(db, username))
            db.commit()
    except (Unauthorized, authentication.TooManyAttempts) as error:
        message = sentence_case(error.message)
        return sign_in_page(error.status, errors={"password": message}, username=username)
    session.clear()  # a fresh session for the signed-in person
    login_user(SignedInUser(secret, principal))
    return redirect(safe_next(request.form.get("next")))


@bp.post("/sign-out")
def sign_out() -> ResponseReturnValue:
    """Sign out (a POST with the CSRF token, so no other site can do it). The
    session ends on the server: a copy of the cookie signs no one in."""
    from catalogue.web.single_sign_on import AUTO_TRIED, SIGNED_IN_WITH, provider_sign_out_url

    with_sso, hint = session.get(SIGNED_IN_WITH) == "sso", None
    if flask_login_user.is_authenticated:
        with catalogue().read() as db:
            hint = end_session(db, flask_login_user.get_id())
            db.commit()
    logout_user()
    session.clear()
    session[AUTO_TRIED] = True  # signed out means signed out, even with auto sign-in
    # Signed in through the council's provider: end that session too, where it can.
    return redirect((with_sso and provider_sign_out_url(hint)) or "/")


PASSWORD_FIELDS = {
    "current_password": "Current password",
    "new_password": "New password",
    "confirm_password": "Confirm new password",
}


def password_page(status: int = 200, **context: Any) -> tuple[str, int, dict[str, str]]:
    context.setdefault("errors", {})
    context.setdefault("changed", False)
    page = render_template("auth/password.html", fields=PASSWORD_FIELDS, **context)
    return page, status, {"Cache-Control": "no-store"}


def password_form_errors(form: Any) -> dict[str, str]:
    """What is missing or does not match, before anything is checked."""
    errors = {}
    if not form.get("current_password"):
        errors["current_password"] = "Enter your current password"
    if not form.get("new_password"):
        errors["new_password"] = "Enter a new password"
    elif form.get("confirm_password") != form.get("new_password"):
        errors["confirm_password"] = "Enter the same new password twice"
    return errors


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def change_password() -> Any:
    """Change your own password (your current one first). Every other browser
    signed in as you is signed out; this one carries on in a fresh session."""
    if request.method == "GET":
        return password_page()
    errors = password_form_errors(request.form)
    if errors:
        return password_page(400, errors=errors)
    principal = current_principal()
    try:
        with catalogue().read() as db:
            passwords.change_own_password(
                db,
                principal,
                request.form["current_password"],
                request.form["new_password"],
                request.remote_addr,
            )
            secret = start_session(db, accounts.get_user(db, principal.email or principal.name))
            db.commit()
    except authentication.TooManyAttempts as error:
        message = sentence_case(error.message)
        return password_page(error.status, errors={"current_password": message})
    except Invalid as error:
        found = {
            p.field: f"{PASSWORD_FIELDS[p.field]} {p.message}"
            for p in reversed(error.problems)
            if p.field in PASSWORD_FIELDS
        }
        return password_page(error.status, errors=found)
    session.clear()
    login_user(SignedInUser(secret, principal))
    return password_page(changed=True)


@bp.get("/api/v1/me")
def me() -> Response:
    """Who the catalogue takes the caller to be, and how it knows."""
    principal = current_principal()
    response = jsonify(
        name=principal.name,
        role=principal.role,
        department=principal.department,
        email=principal.email,
        signed_in=principal.signed_in,
        authenticated_by=g.get("authenticated_by"),
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask) -> None:
    """Flask-Login, the who-is-asking hook (app-wide), the sign-in pages (with
    single sign-on when configured) and the account and token pages."""
    manager = LoginManager()
    manager.user_loader(load_user)
    manager.login_view = "auth.sign_in"
    manager.login_message = "Sign in to see that page."
    manager.session_protection = "basic"
    manager.init_app(app)
    app.before_request(identify_request)
    app.register_blueprint(bp)
    from catalogue.web import account_pages, single_sign_on

    single_sign_on.init_app(app)
    app.register_blueprint(account_pages.bp)
