"""Limits on emails with a link, counted by the shared counter (``core.counter``).

Counted where every process sees them: the database by default, the shared cache with
CACHE_URL (THROTTLE_STORE).

Each client spends only its own allowance. The one count every client shares, the address's,
can therefore only slow: were it a block, strangers asking from two or three clients (each
within its own allowance) would use it up and lock the address's owner out for the hour.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings

from core.counter import count, seconds_left

MINUTE = 60
AN_HOUR = "Too many link requests; please try again in an hour."
A_MINUTE = "Several links were asked for this address just now; please try again in a minute."


@dataclass(frozen=True)
class Wait:
    """A refused request: what to tell the visitor, and when to try again (Retry-After)."""

    message: str
    seconds: int


def link_wait(scope: str, *, address: str, client: str, owner: bool = False) -> Wait | None:
    """Count one request for a link; the wait it must make, or None when the link may be sent now.

    - per client: a ceiling, GUEST_LINK_RATE_PER_CLIENT an hour, sized for many customers
      behind one shared address (an office, a carrier's NAT);
    - per client and address: GUEST_LINK_RATE_PER_CLIENT_AND_ADDRESS an hour. Both are that
      client's own allowance: passing them costs nobody else anything;
    - per address, whoever asks: past GUEST_LINK_RATE_PER_ADDRESS in the hour, one link a
      minute, so a mailbox is not flooded, yet its owner waits a minute at most;
    - ``owner``: the request comes from a browser the address's account has signed in on
      (accounts.devices): strangers' requests for the address never hold it up.
    """
    over = count(scope, "client", client) > settings.GUEST_LINK_RATE_PER_CLIENT
    over = (
        count(scope, "client-address", f"{client}|{address}") > settings.GUEST_LINK_RATE_PER_CLIENT_AND_ADDRESS or over
    )
    if over:
        return Wait(AN_HOUR, seconds_left())
    if owner:
        return None
    this_hour = count(scope, "address", address)
    this_minute = count(scope, "address", address, window=MINUTE)
    if this_hour > settings.GUEST_LINK_RATE_PER_ADDRESS and this_minute > 1:
        return Wait(A_MINUTE, seconds_left(window=MINUTE))
    return None
