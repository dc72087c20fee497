"""Addresses as the whole portal compares them: a person's email address, and the client's network address."""

from __future__ import annotations

import ipaddress

from django.conf import settings


def normalize_email(email: str) -> str:
    """Emails are compared case-insensitively everywhere; store them lower-cased."""
    return (email or "").strip().lower()


def client_address(request) -> str:
    """The client's IP; behind NUM_PROXIES proxies, the one the outermost proxy saw."""
    address = request.META.get("REMOTE_ADDR", "")
    if settings.NUM_PROXIES:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if hops:
            address = hops[-min(settings.NUM_PROXIES, len(hops))]
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        # One IPv6 subscriber holds a whole /64: count it as one client.
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
