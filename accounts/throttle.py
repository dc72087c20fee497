"""Hourly limits on emails with a link, counted by the shared counter (``core.counter``).

Counted where every process sees them: the database by default, the shared cache with
CACHE_URL (THROTTLE_STORE).
"""

from __future__ import annotations

from django.conf import settings

from core.counter import count


def over_limit(scope: str, *, address: str, client: str) -> bool:
    """Count one request for a link; True when any of its limits is passed this hour.

    - per address: the mailbox owner gets at most GUEST_LINK_RATE_PER_ADDRESS, whoever asks;
    - per client and address: one client gets only GUEST_LINK_RATE_PER_CLIENT_AND_ADDRESS of
      those, so someone else flooding an address cannot use up its owner's whole allowance;
    - per client: a ceiling, GUEST_LINK_RATE_PER_CLIENT, sized for many customers behind one
      shared address (an office, a carrier's NAT).
    """
    over = count(scope, "client", client) > settings.GUEST_LINK_RATE_PER_CLIENT
    over = (
        count(scope, "client-address", f"{client}|{address}") > settings.GUEST_LINK_RATE_PER_CLIENT_AND_ADDRESS or over
    )
    if over:
        return True  # refused before it counts against the address: its owner keeps their allowance
    return count(scope, "address", address) > settings.GUEST_LINK_RATE_PER_ADDRESS
