"""The staff roles: Django groups, and the permissions the step checks ask for.

Warehouse staff receive and inspect parcels. Customer service reviews requests,
issues refunds, sends replacements and reinstates expired requests. Which step needs
which permission is ``returns.domain.steps``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeAlias

if TYPE_CHECKING:
    # django-stubs reads this alias as the project's user model (AUTH_USER_MODEL), which returns may not import.
    from django.contrib.auth.models import _User

# Who takes a step, as the services are given it: a signed-in user (staff, or the customer on their own
# return), or None when nobody did (a worker, a deadline, a guest with a link).
Actor: TypeAlias = "_User | None"

# The permissions (granted to the groups below by a migration; superusers have all).
PERM_REVIEW = "returns.review_returnrequest"
PERM_RECEIVE = "returns.receive_returnrequest"
PERM_INSPECT = "returns.inspect_returnrequest"
PERM_REINSTATE = "returns.reinstate_returnrequest"
PERM_ISSUE_REFUND = "returns.issue_refund"
PERM_REPLACEMENT = "returns.arrange_replacement"
PERM_CORRECT_DELIVERY_DATE = "returns.correct_delivery_date"
PERM_START_FOR_CUSTOMER = "returns.start_for_customer"
PERM_REPLY = "returns.add_message"
# Not in any group: granted to the customer-service members the store trusts with goodwill exceptions.
PERM_GRANT_EXCEPTION = "returns.grant_exception"

# What a step taken by no person may do: the risk rules approve (AUTO_APPROVE), and an
# inspection sends its refund to the provider (AUTO_REFUND).
AUTOMATIC = frozenset({PERM_REVIEW, PERM_ISSUE_REFUND})

WAREHOUSE = "Warehouse"
CUSTOMER_SERVICE = "Customer service"

_VIEW = [
    "view_returnrequest",
    "view_order",
    "view_orderline",
    "view_returnline",
    "view_damagephoto",
    "view_statuschange",
]

ROLES: dict[str, list[str]] = {
    WAREHOUSE: ["receive_returnrequest", "inspect_returnrequest", *_VIEW],
    CUSTOMER_SERVICE: [
        "review_returnrequest",
        "inspect_returnrequest",
        "reinstate_returnrequest",
        "arrange_replacement",
        "issue_refund",
        "view_refund",
        "view_notification",
        "change_notification",
        "view_blockedemail",
        "add_blockedemail",
        "change_blockedemail",
        "delete_blockedemail",
        "add_order",
        "change_order",
        "correct_delivery_date",
        "view_ordercorrection",
        "view_shopifyidconflict",
        "add_orderline",
        "change_orderline",
        "start_for_customer",
        "view_message",
        "add_message",
        "view_unmatchedemail",
        "change_unmatchedemail",
        "view_messagephoto",
        *_VIEW,
    ],
}


def ensure_roles(group_model: Any, permission_model: Any) -> None:
    """Create the groups with exactly their permissions; safe to run again.

    Takes the models as arguments so a migration can pass its historical ones.
    """
    for name, codenames in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        perms = permission_model.objects.filter(content_type__app_label="returns", codename__in=codenames)
        group.permissions.set(perms)


def role_permissions(role: str) -> frozenset[str]:
    """A role's permissions by their full names, as the step checks read them."""
    return frozenset(f"returns.{codename}" for codename in ROLES[role])


@dataclass(frozen=True)
class UserPermissions:
    """A user's permissions as the step checks read them (``perm in ...``).

    Asks ``user.has_perm`` only for the permission a check needs, so a check costs the
    queries it cost when the services asked the user themselves. No user, or an inactive
    one, has none.
    """

    user: Any  # a user model instance (the domain imports no model), or None

    def __contains__(self, perm: object) -> bool:
        user = self.user
        return user is not None and bool(user.is_active) and bool(user.has_perm(perm))
