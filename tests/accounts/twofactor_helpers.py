"""Codes of an authenticator app, computed like the phone does (pyotp), for the two-factor
tests."""

from __future__ import annotations

import time

import pyotp

STEP = 30


def step_codes(secret: str) -> tuple[str, str, str]:
    """The codes of the previous, current and next time steps — all three accepted by the
    portal (clocks drift by a step). Away from a step's edge, so the server's clock is on the
    same step when it checks."""
    if time.time() % STEP > STEP - 3:
        time.sleep(STEP - time.time() % STEP + 0.2)
    totp = pyotp.TOTP(secret)
    now = time.time()
    return totp.at(now - STEP), totp.at(now), totp.at(now + STEP)


def wrong_code(*right: str) -> str:
    """A six-digit code that is none of the right ones."""
    for candidate in ("123456", "654321", "000111"):
        if candidate not in right:
            return candidate
    raise AssertionError("unreachable")
