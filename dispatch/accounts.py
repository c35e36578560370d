"""Accounts and access: login lockout answers, idle session timeout, TOTP two-factor.

Rules (see docs/operations.md):

* Interactive sessions are the ones opened by a login over HTTP (the login form or
  the admin login). Only they are subject to the idle timeout and the two-factor
  rule; `Client.force_login` in tests opens a session without an HTTP request and
  is left alone, and token requests carry no session at all.
* Idle timeout: 30 minutes for operators, PBX and agency staff, 15 for supervisors
  and admins. Activity is an HTTP request a person makes; the live socket's pings
  never reach this middleware, and the screens' background refreshes (the
  partials and the event resync) are not counted as activity, but are still
  logged out when the session has gone idle.
* Supervisors and admins must verify a TOTP device after the password; until then
  their pages redirect to the setup/verify pages and the API answers 403
  `otp_required`. Everybody else may enable TOTP on the same page.
* Tokens for supervisors and admins are issued only with a valid TOTP code
  (`otp_token` in the token request), see dispatch/auth_api.py.
"""

from __future__ import annotations

import base64
import time
from io import BytesIO

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.decorators import login_required
from django.contrib.auth.signals import user_logged_in
from django.dispatch import receiver
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from agencies.selectors import actor_for_user
from dispatch.middleware import is_partial_refresh

INTERACTIVE_KEY = "d112_interactive"
LAST_ACTIVITY_KEY = "d112_last_activity"
IDLE_SECONDS_DEFAULT = 30 * 60
IDLE_SECONDS_SUPERVISOR = 15 * 60

# Paths an unverified supervisor may still reach (to log out, enrol or verify).
OTP_EXEMPT_PREFIXES = ("/account/2fa/", "/login/", "/logout/", "/static/", "/health/", "/i18n/", "/jsi18n/")
# Automatic refreshes made by the screens, not by a person.
BACKGROUND_PATHS = ("/board/partial/", "/agency/partial/", "/api/v1/events/")


class UsernameInPasswordValidator:
    """Refuses a password that contains the username (e.g. `operator1operator1` for `operator1`).

    Django's similarity validator compares whole strings, so a password that repeats the username
    (or pads it) scores below its threshold. Here case, spaces and punctuation are ignored, and the
    username read backwards counts too.
    """

    MIN_USERNAME_LENGTH = 3

    @staticmethod
    def _plain(text: str) -> str:
        return "".join(ch for ch in (text or "").casefold() if ch.isalnum())

    def validate(self, password, user=None):
        from django.core.exceptions import ValidationError

        username = self._plain(user.get_username() if user is not None else "")
        if len(username) < self.MIN_USERNAME_LENGTH:
            return
        plain = self._plain(password)
        if username in plain or username[::-1] in plain:
            raise ValidationError(_("Kata sandi tidak boleh memuat nama pengguna."), code="password_contains_username")

    def get_help_text(self):
        return _("Kata sandi tidak boleh memuat nama pengguna.")


def otp_required_for(user) -> bool:
    return actor_for_user(user).is_supervisor


def idle_seconds_for(user) -> int:
    return IDLE_SECONDS_SUPERVISOR if actor_for_user(user).is_supervisor else IDLE_SECONDS_DEFAULT


def confirmed_totp(user) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=True).first()


@receiver(user_logged_in, dispatch_uid="dispatch112_mark_interactive")
def _mark_interactive_session(sender, request, user, **kwargs):
    # A login over HTTP has a path; Client.force_login builds a bare HttpRequest.
    if request is not None and getattr(request, "path", "") and hasattr(request, "session"):
        request.session[INTERACTIVE_KEY] = True
        request.session[LAST_ACTIVITY_KEY] = time.time()


def _is_interactive(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_authenticated and request.session.get(INTERACTIVE_KEY))


def _wants_json(request) -> bool:
    return request.path.startswith("/api/")


class IdleTimeoutMiddleware:
    """Logs an interactive session out after its role's idle time and closes its sockets."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if _is_interactive(request):
            now = time.time()
            last = request.session.get(LAST_ACTIVITY_KEY, now)
            if now - last > idle_seconds_for(request.user):
                return self._expire(request)
            background = request.path.startswith(BACKGROUND_PATHS) or is_partial_refresh(request)
            if not (request.method == "GET" and background):
                request.session[LAST_ACTIVITY_KEY] = now
        return self.get_response(request)

    def _expire(self, request):
        from dispatch import events
        from dispatch.audit import audit

        user = request.user
        audit("auth.logout", user=user, outcome="idle", address=request.META.get("REMOTE_ADDR"))
        logout(request)
        events.close_user_sockets(user.pk)
        message = _("Sesi Anda berakhir karena tidak ada aktivitas. Silakan masuk kembali.")
        if _wants_json(request):
            return JsonResponse({"detail": message, "code": "session_expired"}, status=401)
        messages.warning(request, message)
        return redirect(f"{reverse('login')}?next={request.path}")


class OTPRequiredMiddleware:
    """Supervisors and admins must verify TOTP before using any page or API (after OTPMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if (
            _is_interactive(request)
            and not request.path.startswith(OTP_EXEMPT_PREFIXES)
            and otp_required_for(request.user)
            and not request.user.is_verified()
        ):
            if _wants_json(request):
                return JsonResponse(
                    {
                        "detail": _("Verifikasi dua langkah (TOTP) diperlukan untuk supervisor dan admin."),
                        "code": "otp_required",
                    },
                    status=403,
                )
            target = "otp-verify" if confirmed_totp(request.user) else "otp-setup"
            return redirect(f"{reverse(target)}?next={request.get_full_path()}")
        return self.get_response(request)


def lockout_response(request, original_response=None, credentials=None):
    """axes' answer to a locked (username, address) pair: JSON on the API, the login page otherwise."""
    message = _(
        "Terlalu banyak percobaan masuk yang gagal. Akun ini dikunci dari alamat Anda selama 15 menit; "
        "coba lagi nanti atau hubungi supervisor."
    )
    if _wants_json(request):
        response = JsonResponse({"detail": message, "code": "locked_out"}, status=429)
    else:
        response = render(request, "registration/login.html", {"lockout": message, "form": None}, status=429)
    response["Retry-After"] = str(15 * 60)
    return response


def _safe_next(request, default: str = "home") -> str:
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate and url_has_allowed_host_and_scheme(candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return candidate
    return reverse(default)


def qr_data_uri(text: str) -> str:
    """The otpauth URL as an SVG QR code in a data URI (no script, allowed by the CSP's img-src data:)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(text, image_factory=qrcode.image.svg.SvgPathImage, box_size=8)
    buffer = BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@login_required
def otp_setup(request):
    """Enrol a TOTP device: QR code and secret, then a first code confirms it."""
    if confirmed_totp(request.user) and not request.user.is_verified():
        return redirect(f"{reverse('otp-verify')}?next={_safe_next(request)}")
    device = TOTPDevice.objects.filter(user=request.user, confirmed=False).first()
    if device is None:
        device = TOTPDevice.objects.create(user=request.user, name="dispatch112", confirmed=False)
    error = ""
    if request.method == "POST":
        if device.verify_token(request.POST.get("token", "").strip()):
            device.confirmed = True
            device.save(update_fields=["confirmed"])
            otp_login(request, device)
            from dispatch.audit import audit

            audit("auth.otp_enrol", user=request.user)
            messages.success(request, _("Verifikasi dua langkah aktif."))
            return redirect(_safe_next(request))
        error = _("Kode tidak cocok. Periksa jam ponsel Anda dan coba lagi.")
    secret = base64.b32encode(device.bin_key).decode("ascii").rstrip("=")
    return render(
        request,
        "registration/otp_setup.html",
        {
            "qr": qr_data_uri(device.config_url),
            "secret": secret,
            "error": error,
            "next": _safe_next(request),
            "required": otp_required_for(request.user),
        },
    )


@login_required
def otp_verify(request):
    """The second step after the password for a user with a confirmed device."""
    device = confirmed_totp(request.user)
    if device is None:
        return redirect(f"{reverse('otp-setup')}?next={_safe_next(request)}")
    error = ""
    if request.method == "POST":
        from dispatch.audit import audit

        if device.verify_token(request.POST.get("token", "").strip()):
            otp_login(request, device)
            audit("auth.otp_verify", user=request.user)
            return redirect(_safe_next(request))
        audit("auth.otp_verify", user=request.user, outcome="denied")
        error = _("Kode tidak cocok.")
    return render(request, "registration/otp_verify.html", {"error": error, "next": _safe_next(request)})


urlpatterns = [
    path("2fa/setup/", otp_setup, name="otp-setup"),
    path("2fa/verify/", otp_verify, name="otp-verify"),
]
