"""The staff roles: Django groups and the permissions the services check.

Warehouse staff receive and inspect parcels. Customer service reviews requests,
issues refunds, sends replacements and reinstates expired requests.
"""

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
        "add_orderline",
        "change_orderline",
        *_VIEW,
    ],
}


def ensure_roles(group_model, permission_model) -> None:
    """Create the groups with exactly their permissions; safe to run again.

    Takes the models as arguments so a migration can pass its historical ones.
    """
    for name, codenames in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        perms = permission_model.objects.filter(content_type__app_label="returns", codename__in=codenames)
        group.permissions.set(perms)
