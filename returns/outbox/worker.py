"""The loop shared by the workers (``send_notifications --loop``, ``process_refunds --loop``)."""

from __future__ import annotations

import time
from collections.abc import Callable

TICK = 0.25  # how often a sleeping worker looks whether it was told to stop


def run_rounds(one_round: Callable[[], None], *, loop: bool, interval: float, stopped: Callable[[], bool]) -> None:
    """Run ``one_round`` once, or with ``loop`` every ``interval`` seconds until ``stopped()`` says so.

    A stop request is seen within a quarter of a second while sleeping, and right after a round.
    """
    while True:
        one_round()
        if not loop or stopped():
            return
        slept = 0.0
        while slept < interval and not stopped():
            time.sleep(TICK)
            slept += TICK
        if stopped():
            return
