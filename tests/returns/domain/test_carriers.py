"""Carrier links for tracking numbers: by the name the customer gave, or by the number's format."""

import pytest

from returns.domain import carriers


@pytest.mark.parametrize(
    ("number", "name"),
    [
        ("1Z999AA10123456784", "UPS"),
        ("1z 999 aa1 0123 456 784", "UPS"),
        ("9400111899223856928499", "USPS"),
        ("92055901755477000000000", None),  # 23 digits: nobody's
        ("EA123456789US", "USPS"),
        ("123456789012", "FedEx"),
        ("961234567890123456789012", None),
        ("9612345678901234567890", "FedEx"),  # FedEx Ground 96 + 20 digits
        ("1234567890", "DHL"),
        ("JJD0099999999999999", "DHL"),
        ("hello", None),
    ],
)
def test_detect_from_the_number(number, name):
    found = carriers.detect(number)
    assert (found.name if found else None) == name


@pytest.mark.parametrize(
    ("typed", "name"), [("UPS", "UPS"), ("fed ex", "FedEx"), ("U.S.P.S.", "USPS"), ("DHL Express", "DHL")]
)
def test_the_name_the_customer_typed_wins(typed, name):
    assert carriers.carrier_for(typed, "1234567890").name == name


def test_unknown_name_falls_back_to_the_number():
    assert carriers.carrier_for("my local courier", "1Z999AA10123456784").name == "UPS"
    assert carriers.carrier_for("my local courier", "ABC") is None


def test_tracking_urls_quote_the_number():
    assert carriers.UPS.url("1Z999AA1 0123456784") == "https://www.ups.com/track?tracknum=1Z999AA10123456784"
    assert carriers.USPS.url("EA123456789US").endswith("tLabels=EA123456789US")
    assert carriers.FEDEX.url("123456789012") == "https://www.fedex.com/fedextrack/?trknbr=123456789012"
    assert "tracking-id=1234567890" in carriers.DHL.url("1234567890")
