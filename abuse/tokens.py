"""Signed tokens stamped with their issue time: form-age stamps and one-click links in mails.

Each use has its own salt, so a token made for one purpose never passes for another.
"""

import time

from django.core import signing


class TokenInvalid(Exception):
    """The token was altered, truncated or made for something else."""


class TokenTooYoung(Exception):
    """The token is genuine but was used sooner than a person could have."""


class TokenExpired(Exception):
    """The token is genuine but too old."""


def make(salt, subject, issued=None):
    """A signed token for `subject` (an id or a short string), stamped with when it was issued."""
    issued = time.time() if issued is None else issued
    return signing.dumps({"s": subject, "t": round(issued, 3)}, salt=salt, compress=False)


def check(token, salt, subject=None, min_age=None, max_age=None, now=None):
    """Return the token's subject, or raise TokenInvalid, TokenTooYoung or TokenExpired.

    The age comes from the signed payload, so it cannot be forged, and tests can issue tokens
    in the past without touching the clock.
    """
    if not isinstance(token, str) or not token or len(token) > 200:
        raise TokenInvalid
    try:
        payload = signing.loads(token, salt=salt)
        found, issued = payload["s"], float(payload["t"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise TokenInvalid from None
    if subject is not None and found != subject:
        raise TokenInvalid
    age = (time.time() if now is None else now) - issued
    if min_age is not None and age < min_age:
        raise TokenTooYoung
    if max_age is not None and age > max_age:
        raise TokenExpired
    return found
