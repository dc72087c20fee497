"""Staff's desk in the Django admin: orders, return requests with their steps, refunds, the overview.

Status is never edited here: every step is a button or bulk action calling a
service (``returns.services``), whose errors become admin messages.
"""

from django.contrib import admin

from returns.admin import (  # noqa: F401  (registers the model admins)
    api_keys,
    blocklist,
    notifications,
    orders,
    refunds,
    return_requests,
    webhooks,
)
from returns.admin.overview import install

install(admin.site)
