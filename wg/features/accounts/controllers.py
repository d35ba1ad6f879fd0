"""Pages: log in and out, the home page, the profile, accepting an invitation."""

from __future__ import annotations

from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.di import Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery

from wg.features.accounts import operations as ops
from wg.features.accounts.middleware import set_session_cookie
from wg.features.accounts.sessions import end_session, issue_session
from wg.features.audit.log import record
from wg.features.groups.queries import all_groups, groups_for_user
from wg.lib.deps import CurrentUser, DbSession, provide_user
from wg.lib.errors import ValidationFailed, not_found
from wg.lib.fields import SECTORS, all_time_zones
from wg.lib.web import AnyRequest, auth_state, client_ip, current_user, render, safe_next, see_other, settings_of
from wg.models import Invitation, User
from wg.policy import Actor, can_list_all_groups

FormBody = Annotated[dict[str, Any], Body(media_type=RequestEncodingType.URL_ENCODED)]


class AccountPages(Controller):
    """Login, logout, home, profile and invitations."""

    include_in_schema = False

    @get("/", sync_to_thread=True)
    def home(self, request: AnyRequest, db: DbSession) -> Response[Any]:
        """The user's groups (the login page for visitors)."""
        user = current_user(request)
        if user is None:
            return see_other(request, "/login")
        groups = groups_for_user(db, user)
        admin_groups = all_groups(db) if can_list_all_groups(Actor(user_id=user.id, is_admin=user.is_admin)) else []
        return render(request, "accounts/home.html", {"groups": groups, "admin_groups": admin_groups})

    @get("/login", sync_to_thread=False)
    def login_page(self, request: AnyRequest, next: FromQuery[str | None] = None) -> Response[Any]:  # noqa: A002
        """The login form."""
        if current_user(request) is not None:
            return see_other(request, safe_next(next))
        return render(request, "accounts/login.html", {"next": safe_next(next, ""), "values": {}, "errors": {}})

    @post("/login", sync_to_thread=True)
    def login(self, request: AnyRequest, db: DbSession, data: FormBody) -> Response[Any]:
        """Check the credentials; on success start a fresh session (a new id, whatever the browser had)."""
        email = str(data.get("email") or "")
        password = str(data.get("password") or "")
        target = safe_next(str(data.get("next") or ""))
        old = auth_state(request).session_id
        try:
            _user, token = ops.log_in(db, settings_of(request), email, password, client_ip(request))
        except ops.LoginRefused as refused:
            db.commit()
            throttled = refused if isinstance(refused, ops.LoginThrottled) else None
            response = render(request, "accounts/login.html",
                              {"next": target if target != "/" else "", "values": {"email": email},
                               "errors": {"email": str(refused)}}, status_code=429 if throttled else 400)
            if throttled is not None:
                response.headers["retry-after"] = str(throttled.retry_after)
            return response
        end_session(db, old)
        db.commit()
        response = see_other(request, target)
        set_session_cookie(response, settings_of(request), token)
        return response

    @post("/logout", sync_to_thread=True, opt={"ends_session": True})
    def logout(self, request: AnyRequest, db: DbSession, next: FromQuery[str | None] = None) -> Response[Any]:
        """End the session everywhere: the old cookie is dead even if someone kept a copy; then go to the login page
        (or to ``next`` on this site, e.g. an invitation for another account)."""
        state = auth_state(request)
        if state.user is not None:
            record(db, "logout", actor_id=state.user.id, ip=client_ip(request))
        end_session(db, state.session_id)
        db.commit()
        response = see_other(request, safe_next(next, "/login"))
        set_session_cookie(response, settings_of(request), None)
        return response

    @get("/profile", sync_to_thread=False, dependencies={"user": Provide(provide_user, sync_to_thread=False)})
    def profile_page(self, request: AnyRequest, user: CurrentUser, saved: FromQuery[bool] = False) -> Response[Any]:
        """The user's own profile form."""
        return render(request, "accounts/profile.html", _profile_context(_profile_values(user), {}, saved))

    @post("/profile", sync_to_thread=True, dependencies={"user": Provide(provide_user, sync_to_thread=False)})
    def profile_save(self, request: AnyRequest, db: DbSession, user: CurrentUser, data: FormBody
                     ) -> Response[Any]:
        """Save the profile; on a mistake show the form again with everything typed."""
        fresh = db.get(User, user.id)
        if fresh is None:
            raise not_found()
        try:
            ops.update_profile(db, fresh, data, client_ip(request))
        except ValidationFailed as exc:
            db.rollback()
            return render(request, "accounts/profile.html", _profile_context(data, exc.errors, False),
                          status_code=422)
        db.commit()
        return see_other(request, "/profile?saved=true")

    @post("/profile/password", sync_to_thread=True, dependencies={"user": Provide(provide_user, sync_to_thread=False)})
    def password_save(self, request: AnyRequest, db: DbSession, user: CurrentUser, data: FormBody
                      ) -> Response[Any]:
        """Change the password; every session ends, this one continues under a new id."""
        fresh = db.get(User, user.id)
        if fresh is None:
            raise not_found()
        try:
            ops.change_password(db, settings_of(request), fresh, str(data.get("current_password") or ""),
                                str(data.get("new_password") or ""), client_ip(request))
        except ValidationFailed as exc:
            # Read the saved profile before the rollback: a rollback expires ``fresh`` and empties its __dict__.
            values = _profile_values(fresh)
            db.rollback()
            paused = exc if isinstance(exc, ops.PasswordCheckThrottled) else None
            response = render(request, "accounts/profile.html", _profile_context(values, exc.errors, False),
                              status_code=429 if paused else 422)
            if paused is not None:
                response.headers["retry-after"] = str(paused.retry_after)
            return response
        token = issue_session(db, fresh, settings_of(request).session_max_age)
        db.commit()
        response = see_other(request, "/profile?saved=true")
        set_session_cookie(response, settings_of(request), token)
        return response

    @get("/invite/{token:str}", sync_to_thread=True)
    def invitation_page(self, request: AnyRequest, db: DbSession, token: FromPath[str]) -> Response[Any]:
        """The page an invited person opens: set a name and password, or join with the existing account."""
        invitation = ops.find_open_invitation(db, token)
        if invitation is None:
            return render(request, "accounts/invitation_invalid.html", status_code=404)
        if switch := _someone_else_is_logged_in(request, db, invitation, token, status_code=200):
            return switch
        existing = ops.find_user_by_email(db, invitation.email)
        values = {"display_name": invitation.display_name, "country": invitation.country, "time_zone": "UTC"}
        return render(request, "accounts/invitation.html", {
            "invitation": invitation, "group": ops.group_of(db, invitation), "token": token,
            "existing": existing is not None and bool(existing.password_hash), "values": values, "errors": {},
            "time_zones": all_time_zones(), "sectors": SECTORS})

    @post("/invite/{token:str}", sync_to_thread=True)
    def invitation_accept(self, request: AnyRequest, db: DbSession, token: FromPath[str], data: FormBody
                          ) -> Response[Any]:
        """Accept the invitation; a new member is logged in straight away."""
        invitation = ops.find_open_invitation(db, token, for_update=True)
        if invitation is None:
            return render(request, "accounts/invitation_invalid.html", status_code=404)
        group = ops.group_of(db, invitation)
        current = current_user(request)
        # A form opened before someone else logged in on this browser: never switch accounts without asking.
        if switch := _someone_else_is_logged_in(request, db, invitation, token, status_code=409):
            return switch
        try:
            user = ops.accept_invitation(db, invitation, data, current, client_ip(request))
        except ValidationFailed as exc:
            db.rollback()
            existing = ops.find_user_by_email(db, invitation.email)
            return render(request, "accounts/invitation.html", {
                "invitation": invitation, "group": group, "token": token,
                "existing": existing is not None and bool(existing.password_hash), "values": data,
                "errors": exc.errors, "time_zones": all_time_zones(), "sectors": SECTORS}, status_code=422)
        end_session(db, auth_state(request).session_id)
        session_token = issue_session(db, user, settings_of(request).session_max_age)
        db.commit()
        response = see_other(request, f"/g/{group.slug}" if group else "/")
        set_session_cookie(response, settings_of(request), session_token)
        return response


def _someone_else_is_logged_in(request: AnyRequest, db: DbSession, invitation: Invitation, token: str,
                               status_code: int) -> Response[Any] | None:
    """The page that asks first when the browser is logged in as another account than the invited one (accepting
    would log that account out), or None when it is not."""
    user = current_user(request)
    if user is None or user.email == invitation.email:
        return None
    return render(request, "accounts/invitation_switch.html", {
        "invitation": invitation, "group": ops.group_of(db, invitation), "token": token}, status_code=status_code)


def _profile_values(user: User) -> dict[str, Any]:
    """The saved profile fields of a user, as the profile form shows them."""
    return {"display_name": user.display_name, "native_name": user.native_name, "country": user.country,
            "affiliation": user.affiliation, "sector": user.sector, "time_zone": user.time_zone,
            "consents_to_attribution": user.consents_to_attribution}


def _profile_context(values: dict[str, Any], errors: dict[str, str], saved: bool) -> dict[str, Any]:
    return {"values": values, "errors": errors, "saved": saved, "time_zones": all_time_zones(), "sectors": SECTORS}
