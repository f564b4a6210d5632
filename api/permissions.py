"""DRF permission classes that wrap the domain predicates of ``cases.selectors``.

Each class is one predicate, nothing more. Visibility is *not* decided here: views get
cases only through the visibility selectors, which raise ``NotFound`` (404) for what the
user may not see. These classes answer the next question, "may this user write?", and
give 403 only to someone who already sees the object (e.g. a police liaison reading a
referred case), so a 403 never reveals that a record exists.

Never compose these with ``|`` without a test of the object-level case (STYLE.md).
Views add these to the default stack through ``api.base.Api``
(``extra_permission_classes``, ``write_permission_classes``), never replace it.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from knox.models import AuthToken
from rest_framework.permissions import BasePermission

from accounts.second_factor import needs_verification
from cases.selectors import can_edit_case, schools_for_concerns, schools_owned_by


class IsSchoolCaseOwner(BasePermission):
    """The user is the safeguarding lead or deputy of at least one school."""

    message = _("Only a school's safeguarding lead or deputy can do this.")

    def has_permission(self, request, view) -> bool:
        return bool(schools_owned_by(request.user))


class CanLogConcern(BasePermission):
    """The user is a lead, deputy, staff member or head of at least one school."""

    message = _("Only members of a school's staff can log a concern.")

    def has_permission(self, request, view) -> bool:
        return bool(schools_for_concerns(request.user))


class IsCaseEditor(BasePermission):
    """Object level: the user is the lead or deputy of the case's school
    (``cases.selectors.can_edit_case``). The object is a ``Case``."""

    message = _("Only the school's safeguarding lead or deputy can change this case.")

    def has_permission(self, request, view) -> bool:
        return True

    def has_object_permission(self, request, view, obj) -> bool:
        return can_edit_case(request.user, obj)


class IsVerifiedWhenRequired(BasePermission):
    """A user who must use a second factor (``accounts.second_factor.requires_second_factor``) and
    authenticated with a session has passed it. Token requests pass: a token is only
    issued after the second factor (``POST /api/v1/auth/token/`` with ``otp_code``)."""

    message = _("Pass the second factor (authenticator code) first.")

    def has_permission(self, request, view) -> bool:
        if isinstance(request.auth, AuthToken):
            return True
        return not needs_verification(request.user)
