"""Sign in and out, password change, profile, and the language switcher."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_limiter.util import get_remote_address
from flask_login import current_user, login_user, logout_user
from itsdangerous import BadSignature, URLSafeTimedSerializer
from werkzeug.wrappers import Response

from lectern.domain import Invalid
from lectern.extensions import db, limiter
from lectern.i18n import gettext as _
from lectern.platform.accounts import services, sessions
from lectern.platform.accounts.forms import LoginForm, PasswordChangeForm, ProfileForm
from lectern.platform.forms import LanguageForm
from lectern.platform.models import utcnow
from lectern.platform.roles import login_required, signed_in_user

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """`target` if it is a path on this site, else None: a login link must not send anyone elsewhere."""
    if not target or "\\" in target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


# Guessing passwords is slowed three ways, counting failed attempts only (a classroom signing in together is not an
# attack): per username and address (LECTERN_LOGIN_RATE_LIMIT), per address across usernames, and per username
# across all addresses (LECTERN_LOGIN_USER_RATE_LIMIT), the last one not for a browser this user has signed in from
# before (it holds a signed device cookie naming them): guesses from elsewhere, however many, never lock the real
# user out of their own browser before an exam (OWASP's "device cookies").
DEVICE_COOKIE = "lectern_device"
DEVICE_USERS = 10  # usernames one device cookie remembers: a shared classroom computer
DEVICE_DAYS = 365


def _username() -> str:
    return request.form.get("username", "").strip().lower()[:64]


def _username_key() -> str:
    return "login-user:" + _username()


def _username_address_key() -> str:
    return f"login-user-address:{_username()}:{get_remote_address()}"


def _failed(response: Response) -> bool:
    return response.status_code != 302


def _device_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt="lectern-device")


def _device_users() -> list[str]:
    """The usernames that have signed in from this browser before, as its device cookie says (if genuine)."""
    try:
        names = _device_serializer().loads(request.cookies.get(DEVICE_COOKIE, ""), max_age=DEVICE_DAYS * 86400)
    except BadSignature:
        return []
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def _known_device() -> bool:
    return _username() in _device_users()


def _remember_device(response: Response, username: str) -> None:
    names = [username, *(n for n in _device_users() if n != username)][:DEVICE_USERS]
    response.set_cookie(
        DEVICE_COOKIE,
        _device_serializer().dumps(names),
        max_age=DEVICE_DAYS * 86400,
        httponly=True,
        samesite="Lax",
        secure=current_app.config["SESSION_COOKIE_SECURE"],
    )


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    lambda: current_app.config["LECTERN_LOGIN_RATE_LIMIT"],
    methods=["POST"],
    key_func=_username_address_key,
    deduct_when=_failed,
)
@limiter.limit(
    lambda: current_app.config["LECTERN_LOGIN_USER_RATE_LIMIT"],
    methods=["POST"],
    key_func=_username_key,
    deduct_when=_failed,
    exempt_when=_known_device,
)
@limiter.limit(
    lambda: current_app.config.get("LECTERN_LOGIN_IP_RATE_LIMIT", "100 per minute"),
    methods=["POST"],
    deduct_when=_failed,
)
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("home.index"))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(db.session, form.username.data or "", form.password.data or "")
        if user is None:
            # The same words whether the account is unknown, the password wrong or the account suspended.
            flash(_("Wrong username or password."), "error")
            return render_template("platform/login.html", form=form), 200
        remember = bool(form.remember.data)
        sessions.start(db.session, user, utcnow(), _lifetime(remember))
        db.session.commit()
        language = session.get("language")
        session.clear()  # nothing from before sign-in carries over, but the chosen language
        if language:
            session["language"] = language
        login_user(user, remember=remember)
        response = redirect(safe_next(request.args.get("next")) or url_for("home.index"))
        _remember_device(response, user.username)
        return response
    return render_template("platform/login.html", form=form)


def _lifetime(remember: bool) -> timedelta:
    """How long a sign-in lasts on the server: as long as the cookie that carries it."""
    if remember:
        duration = current_app.config["REMEMBER_COOKIE_DURATION"]
        return duration if isinstance(duration, timedelta) else timedelta(seconds=duration)
    return current_app.permanent_session_lifetime


@bp.route("/logout", methods=["POST"])
def logout() -> ResponseReturnValue:
    if current_user.is_authenticated:
        sessions.end(db.session, signed_in_user())
        db.session.commit()
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/account/password", methods=["GET", "POST"])
@login_required
def password() -> ResponseReturnValue:
    form = PasswordChangeForm()
    if form.validate_on_submit():
        try:
            services.change_password(db.session, signed_in_user(), form.current.data or "", form.new.data or "")
        except Invalid:  # the current password is wrong
            form.current.errors = [_("This is not your current password.")]
        else:
            db.session.commit()
            flash(_("Your password has been changed. Other devices have been signed out."), "success")
            return redirect(url_for("auth.profile"))
    return render_template("platform/password.html", form=form)


@bp.route("/account", methods=["GET", "POST"])
@login_required
def profile() -> ResponseReturnValue:
    user = signed_in_user()
    form = ProfileForm(obj=user)
    if request.method == "GET":
        form.language.data = user.language or ""
    if form.validate_on_submit():
        services.update_profile(
            user,
            first_name=form.first_name.data or "",
            last_name=form.last_name.data or "",
            language=form.language.data or None,
        )
        db.session.commit()
        flash(_("Your profile has been saved."), "success")
        return redirect(url_for("auth.profile"))
    return render_template("platform/profile.html", form=form)


@bp.route("/account/sign-out-others", methods=["POST"])
@login_required
def sign_out_others() -> ResponseReturnValue:
    """End every other sign-in of the user: a phone left in a classroom, a shared computer."""
    sessions.end_all(db.session, signed_in_user(), keep_current=True)  # CSRFProtect has checked the form's token
    db.session.commit()
    flash(_("You have been signed out on all other devices."), "success")
    return redirect(url_for("auth.profile"))


@bp.route("/language", methods=["POST"])
def language() -> ResponseReturnValue:
    """Switch the interface language; signed-in users keep the choice in their profile."""
    form = LanguageForm()
    if form.validate_on_submit():
        session["language"] = form.language.data
        if current_user.is_authenticated:
            services.set_language(signed_in_user(), form.language.data or "")
            db.session.commit()
    return redirect(safe_next(request.form.get("next")) or url_for("home.index"))
