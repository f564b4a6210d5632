"""Token sign-in and sign-out (``POST /api/v1/auth/token/``, ``POST /api/v1/auth/logout/``).

A token (django-rest-knox; only a digest is stored) is issued only after the password
and, for the roles that need it, the second factor (``accounts.second_factor``); so
``api.permissions.IsVerifiedWhenRequired`` lets token requests through. Token creation
is the one ``/api/v1/`` view anyone may call (``api.base.AnonymousApi``).
"""

from __future__ import annotations

from django.contrib.auth import authenticate, user_logged_in, user_logged_out
from django.contrib.auth import logout as session_logout
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.models import AuthToken
from knox.settings import knox_settings
from rest_framework import exceptions, serializers, status
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.lockout import lockout_message, record_second_factor_failure, sign_in_completed
from accounts.second_factor import requires_second_factor, verify_code
from api.base import AnonymousApi, Api
from api.fields import InputSerializer
from config.throttling import SignInRateThrottle

# One answer for a wrong username, password or second-factor code (never says which).
SIGN_IN_FAILED = _("Unable to sign in with these credentials.")


class TokenCreateInputSerializer(InputSerializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, trim_whitespace=False)
    otp_code = serializers.CharField(
        max_length=32,
        required=False,
        allow_blank=True,
        help_text=_(
            "Second factor: the 6-digit code from the authenticator app, or a one-use "
            "backup code. Required for safeguarding leads, deputies, heads, liaisons "
            "and admins."
        ),
    )


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text=_("Send as 'Authorization: Token <token>'."))
    expiry = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text=_("With offset; null: never.")
    )


class TokenCreateApi(AnonymousApi):
    """Exchange a username, password and (for the roles that need it) a second-factor
    code for an expiring API token (django-rest-knox; only a digest is stored). Send it as
    ``Authorization: Token <token>``.

    Errors: 400 with one message whether the password or the code was wrong (it never
    says which, nor whether the account exists); 429 when the username is locked after 6
    failures (30 minutes, django-axes) or over the sign-in rate; 403 with too many live
    tokens. Rule source: issue 3, "Login" (``cases/otp.py``).
    """

    throttle_classes = (SignInRateThrottle,)

    @extend_schema(
        tags=["auth"],
        request=TokenCreateInputSerializer,
        responses={
            200: TokenOutputSerializer,
            400: OpenApiResponse(description=_("Wrong username, password or code.")),
            403: OpenApiResponse(description=_("Too many active tokens.")),
            429: OpenApiResponse(description=_("Locked after too many failed attempts.")),
        },
        auth=[],
    )
    def post(self, request: Request) -> Response:
        data = TokenCreateInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        username = data.validated_data["username"]
        # The request goes to authenticate() so django-axes counts failures and refuses a
        # locked username. ModelBackend refuses inactive users: same message as a wrong
        # password, so the answer never says whether an account exists.
        user = authenticate(
            request._request, username=username, password=data.validated_data["password"]
        )
        if getattr(request._request, "axes_locked_out", False):
            return Response({"detail": lockout_message()}, status=429)
        if user is not None and user.is_active and requires_second_factor(user):
            device = verify_code(user, data.validated_data.get("otp_code"))
            if device is None:
                record_second_factor_failure(request._request, username)
                if getattr(request._request, "axes_locked_out", False):
                    return Response({"detail": lockout_message()}, status=429)
                user = None
        if user is None or not user.is_active:
            raise exceptions.ValidationError({"non_field_errors": [SIGN_IN_FAILED]})
        limit = knox_settings.TOKEN_LIMIT_PER_USER
        if limit is not None:
            live = AuthToken.objects.filter(user=user).filter(
                Q(expiry__isnull=True) | Q(expiry__gt=timezone.now())
            )
            if live.count() >= limit:
                raise exceptions.PermissionDenied(
                    _("Too many active tokens; sign out from another client first.")
                )
        instance, token = AuthToken.objects.create(user)
        sign_in_completed(user)
        user_logged_in.send(sender=user.__class__, request=request._request, user=user)
        out = TokenOutputSerializer({"token": token, "expiry": instance.expiry})
        return Response(out.data)


class TokenLogoutApi(Api):
    """Revoke the token used for this request (or end the session)."""

    @extend_schema(tags=["auth"], request=None, responses={204: None})
    def post(self, request: Request) -> Response:
        if isinstance(request.auth, AuthToken):
            request.auth.delete()
            user_logged_out.send(
                sender=request.user.__class__, request=request._request, user=request.user
            )
        else:
            session_logout(request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)
