"""Which messages that left Salvaguarda a reader may see (issue 9, "Delivery visible").

One rule, here, for every face: the case page (``CaseView.deliveries``), the referral
page, the lead's dashboard, the API's lists and detail, and the retry. A message is an
``outbox.models.Message``: one e-mail or webhook call to one recipient, with its state.

The rule (DESIGN rule 2, need to know; ``cases.permissions.POLICY``, ``Resource.DELIVERY``):

- the school's safeguarding leads and deputies see every message of their schools
  (``Message.school``): those about a case, and those about no case (a new concern, a
  reminder covering several cases), which only their dashboard and the API list show;
- a police liaison sees only the messages *addressed to their own unit* — to the unit's
  own address, to one of its liaisons, or to one of its webhook endpoints — *about a
  referral in their inbox* (``reporting.selectors.referral_list_for_user``: sent to
  their unit), and only of the kinds a destination receives
  (:data:`DESTINATION_KINDS`); never the school's internal messages (a failed delivery,
  a check-in reminder, a new concern);
- anyone else (staff, heads, authority admins, other schools): none.

It lives in ``casefile`` because it spans ``cases`` (who owns a school) and
``reporting`` (whose inbox a referral is in), and ``cases`` may not import
``reporting`` (ADR 0007). Reads only: each face records its own read (DESIGN rule 3).
"""

from __future__ import annotations

from django.db.models import Model, Q, QuerySet

from cases.deliveries import NO_ADDRESS, REFUSED
from cases.denials import refused
from cases.exceptions import NotFound
from cases.models import Case, Membership, User
from cases.permissions import REFERRAL_DESTINATION_ROLES
from cases.selectors import schools_owned_by, units_of
from outbox.kinds import MessageKind
from outbox.models import Message
from reporting.models import Referral
from reporting.selectors import referral_list_for_user

# What a referral's destination is sent (``reporting.delivery``, ``reporting.services``):
# the only kinds a police liaison may see, and only when addressed to their unit.
DESTINATION_KINDS: frozenset[str] = frozenset(
    {MessageKind.REFERRAL_NOTICE.value, MessageKind.REFERRAL_WITHDRAWN.value}
)

# What every list and page shows with a message, joined in the same query: the
# recipient (``Message.recipient_label``), the case's reference and school (links and
# times in the school's zone), and what it is about (its type).
_RELATED = (
    "recipient_user",
    "recipient_organisation",
    "endpoint__organisation",
    "case__school",
    "school",
    "about_type",
)


def deliveries_visible_to(user: User) -> QuerySet[Message]:
    """Every message ``user`` may see (the rule in the module docstring), newest first
    (``created_at``, UTC, then id), with what the pages show already joined: a
    constant number of queries whatever the number of rows (the reader's memberships
    are read once per request, ``cases.memberships``)."""
    owned = schools_owned_by(user)
    units = units_of(user)
    visible = Q(pk__in=[])
    if owned:
        visible |= Q(school_id__in=owned)
    if units:
        their_referrals = referral_list_for_user(user=user).filter(destination_id__in=units)
        addressed_to_unit = (
            Q(recipient_organisation_id__in=units)
            | Q(endpoint__organisation_id__in=units)
            | Q(
                recipient_user_id__in=Membership.objects.filter(
                    organisation_id__in=units, role__in=REFERRAL_DESTINATION_ROLES
                ).values("user_id")
            )
        )
        visible |= (
            Q(
                kind__in=DESTINATION_KINDS,
                about_type__app_label=Referral._meta.app_label,
                about_type__model=Referral._meta.model_name,
                about_id__in=their_referrals.values("pk"),
            )
            & addressed_to_unit
        )
    return Message.objects.filter(visible).select_related(*_RELATED).order_by("-created_at", "-id")


def delivery_get_for_user(*, user: User, delivery_id: int | str) -> Message:
    """The message ``delivery_id`` if ``user`` may see it (:func:`deliveries_visible_to`);
    else ``NotFound`` — the same for a message that does not exist and one that is not
    theirs (HTTP 404, never 403; the refusal is noted for the audit, issue 7)."""
    try:
        pk = int(delivery_id)
    except (TypeError, ValueError):
        raise NotFound from None
    message = deliveries_visible_to(user).filter(pk=pk).first()
    if message is None:
        raise refused(user=user, records=Message.objects, object_id=pk)
    return message


def case_deliveries_for_user(*, user: User, case: Case) -> QuerySet[Message]:
    """The messages about a visible ``case`` that ``user`` may see, newest first:
    ``CaseView.deliveries`` (``casefile.selectors``). ``case`` must come from
    ``case_get_for_user``. One query."""
    return deliveries_visible_to(user).filter(case=case)


def deliveries_about_for_user(*, user: User, about: Model) -> QuerySet[Message]:
    """The messages about ``about`` (a referral or a takedown notice the caller got
    through ``reporting.selectors``) that ``user`` may see, newest first. One query."""
    return deliveries_visible_to(user).filter(
        about_type__app_label=about._meta.app_label,
        about_type__model=about._meta.model_name,
        about_id=about.pk,
    )


def failed_deliveries_for_user(*, user: User) -> QuerySet[Message]:
    """Failed messages of the schools whose cases ``user`` owns (lead or deputy), newest
    failure first: the dashboard's "Failed deliveries", those a lead may send again.
    Anyone else: none (a liaison is not told of the school's failures)."""
    owned = schools_owned_by(user)
    return (
        deliveries_visible_to(user)
        .filter(school_id__in=owned, state=Message.State.FAILED)
        .order_by("-failed_at", "-id")
    )


def can_retry_delivery(user: User, message: Message) -> bool:
    """Whether ``user`` may send ``message`` again: a lead or deputy of its school
    (``Resource.DELIVERY``: change, own school). Whether it is still ``failed`` is the
    service's to say (``cases.deliveries.delivery_retry``: ``Conflict``)."""
    return message.school_id is not None and message.school_id in schools_owned_by(user)


def shown_address(user: User, message: Message) -> str:
    """The address ``message`` went to, as ``user`` may see it: for the school's leads
    and deputies the e-mail address of the last attempt (a liaison's address is no
    secret to the school), or ``"webhook"`` for a webhook (its URL is the receiver's
    secret as much as its key); for anyone else ``""``."""
    if message.school_id is None or message.school_id not in schools_owned_by(user):
        return ""
    if message.channel == Message.Channel.WEBHOOK:
        return "webhook"
    return message.address


def may_see_content(user: User, message: Message) -> bool:
    """Whether ``user`` may read ``message``'s subject, body and address: the school's
    leads and deputies (the content names a case reference and a link, never a child's
    details: ``outbox.models``), and a liaison the message was addressed to in person."""
    if message.school_id is not None and message.school_id in schools_owned_by(user):
        return True
    return message.recipient_user_id is not None and message.recipient_user_id == user.pk


def failure_reason(message: Message) -> str:
    """Why a failed ``message`` did not arrive, in plain words in the current language
    (the words of the leads' "delivery failed" notice, ``cases.deliveries``); ``""``
    for a message that has not failed."""
    if message.state != Message.State.FAILED:
        return ""
    return str(NO_ADDRESS if message.last_error == "no address" else REFUSED)
