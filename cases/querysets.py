"""Query sets for the case file. ``Case.objects.visible_to(user)`` is the one way in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import models

from cases.extensions import visibility_grants
from cases.memberships import user_memberships
from cases.permissions import CASE_SCHOOL_READER_ROLES

if TYPE_CHECKING:
    # ruff does not read the string "Case" in the base class below as a use.
    from cases.models import Case, User  # noqa: F401


class CaseQuerySet(models.QuerySet["Case"]):
    def visible_to(self, user: User) -> CaseQuerySet:
        """Cases ``user`` may open (DESIGN rule 2, need to know).

        - safeguarding lead / deputy: every case of their school;
        - police liaison: cases with a live (sent or acknowledged) referral to their unit
          (granted by ``reporting`` through ``cases.extensions``, ADR 0007);
        - staff, head, authority admin: no case contents (staff follow their concerns);
        - anonymous or inactive users, superusers without a membership: nothing.
        The role sets come from ``cases.permissions.POLICY`` (case: view).
        """
        if not user.is_authenticated or not user.is_active:
            return self.none()
        memberships = user_memberships(user)
        owner_schools = [
            m.organisation_id for m in memberships if m.role in CASE_SCHOOL_READER_ROLES
        ]
        condition = models.Q(pk__in=[])
        if owner_schools:
            condition |= models.Q(school_id__in=owner_schools)
        for grant in visibility_grants():
            granted = grant(user, memberships)
            if granted is not None:
                condition |= granted
        return self.filter(condition)
