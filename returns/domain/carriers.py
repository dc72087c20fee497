"""Carriers and their tracking pages: chosen by name, or told from the tracking number's format. Pure."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Carrier:
    code: str
    name: str
    tracking_url: str  # with {number}

    def url(self, number: str) -> str:
        return self.tracking_url.format(number=quote(normalize_number(number), safe=""))


USPS = Carrier("usps", "USPS", "https://tools.usps.com/go/TrackConfirmAction?tLabels={number}")
UPS = Carrier("ups", "UPS", "https://www.ups.com/track?tracknum={number}")
FEDEX = Carrier("fedex", "FedEx", "https://www.fedex.com/fedextrack/?trknbr={number}")
DHL = Carrier("dhl", "DHL", "https://www.dhl.com/global-en/home/tracking/tracking-express.html?tracking-id={number}")
CARRIERS = (USPS, UPS, FEDEX, DHL)

# What people type for each carrier, lower case, without spaces or punctuation.
NAMES = {
    "usps": USPS,
    "unitedstatespostalservice": USPS,
    "postalservice": USPS,
    "ups": UPS,
    "unitedparcelservice": UPS,
    "fedex": FEDEX,
    "federalexpress": FEDEX,
    "dhl": DHL,
    "dhlexpress": DHL,
}

# Formats, most specific first. Ambiguous lengths go to the carrier that issues them most.
FORMATS = (
    (re.compile(r"1Z[0-9A-Z]{16}"), UPS),
    (re.compile(r"(9[1-5]\d{18,20}|82\d{8}|[A-Z]{2}\d{9}US)"), USPS),
    (re.compile(r"(\d{12}|\d{15}|96\d{20}|\d{20})"), FEDEX),
    (re.compile(r"(\d{10}|JJD\d{16,20}|JD\d{18}|GM\d{16,20}|[A-Z]{3}\d{7})"), DHL),
)


def normalize_number(number: str) -> str:
    return re.sub(r"[\s-]", "", number or "").upper()


def by_name(name: str) -> Carrier | None:
    key = re.sub(r"[^a-z]", "", (name or "").lower())
    return NAMES.get(key)


def detect(number: str) -> Carrier | None:
    """The carrier a tracking number's format belongs to, if it is one we know."""
    compact = normalize_number(number)
    for pattern, carrier in FORMATS:
        if pattern.fullmatch(compact):
            return carrier
    return None


def carrier_for(name: str, number: str) -> Carrier | None:
    """The carrier the customer named, else the one the number's format says."""
    return by_name(name) or detect(number)
