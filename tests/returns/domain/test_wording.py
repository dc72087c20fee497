"""Small pieces of English customers read (returns.domain.wording)."""

import pytest

from returns.domain import policy
from returns.domain.wording import review_time


@pytest.mark.parametrize(
    ("hours", "words"),
    [
        (24, "usually within one business day"),
        (48, "usually within two business days"),
        (72, "usually within three business days"),
        (240, "usually within 10 business days"),
        (4, "usually within 4 hours"),
        (1, "usually within 1 hour"),
        (36, "usually within 36 hours"),
    ],
)
def test_review_time_in_words(hours, words):
    assert review_time(hours) == words


@pytest.mark.parametrize("reason", [policy.CHANGED_MIND, policy.WRONG_SIZE, policy.NOT_AS_DESCRIBED, policy.OTHER])
def test_a_standard_reason_is_its_own_description(reason):
    """R5 (§3): the reason chosen is the brief description the policy asks for."""
    assert not policy.description_required(reason)


@pytest.mark.parametrize("reason", sorted(policy.FAULT_REASONS))
def test_a_fault_claim_says_what_is_wrong(reason):
    assert policy.description_required(reason)
