"""Row ids as a user meets them: sealed.

Generations and ledger lines take their ids from sequences shared by every account, so an
id shown as it is tells a tenant how many rows other tenants stored in between. Pages name a
generation by its own id; a cursor still needs the row id, which breaks ties in the keyset
order (zenlogs/keyset.py), so it carries it sealed: encrypted and authenticated under keys
derived from SECRET_KEY. Nobody can read the id out of a seal, nor turn a seal into another
id: a changed character no longer opens (a 400 naming the cursor, as any bad cursor).

The construction is SIV's, on HMAC-SHA256 (deterministic authenticated encryption): the tag
is a keyed hash of the id, and the id is XORed with a pad that a second key derives from the
tag. The same id always seals to the same text, so a page's links are stable; that two seals
hold the same id is all they show. An 80-bit tag: a forgery is one guess in 2**80.
A new SECRET_KEY opens no old seal: page links from before it are refused, nothing else."""

import base64
import binascii
import functools
import hashlib
import hmac
import re

from django.conf import settings

_ID_BYTES = 8  # ids are bigints, below 2**63
_TAG_BYTES = 10
# base64url of 18 bytes: 24 characters, no padding.
SEAL_PATTERN = r"[A-Za-z0-9_-]{24}"
_SEAL_RE = re.compile(SEAL_PATTERN)


@functools.cache
def _key(purpose, secret):
    # As Django's salted_hmac derives its keys, once per process rather than per call: a
    # ledger page seals fifty ids.
    return hashlib.sha256(f"zenlogs.sealed.{purpose}{secret}".encode()).digest()


def _mac(purpose, data):
    return hmac.digest(_key(purpose, settings.SECRET_KEY), data, "sha256")


def _xor(data, pad):
    return bytes(a ^ b for a, b in zip(data, pad, strict=True))


def seal(pk):
    """The text that stands for row id `pk` (0 <= pk < 2**63)."""
    plain = int(pk).to_bytes(_ID_BYTES, "big")
    tag = _mac("tag", plain)[:_TAG_BYTES]
    masked = _xor(plain, _mac("pad", tag)[:_ID_BYTES])
    return base64.urlsafe_b64encode(tag + masked).decode("ascii")


def unseal(text):
    """The row id a seal stands for, or None when `text` is not a seal made here."""
    if not isinstance(text, str) or not _SEAL_RE.fullmatch(text):
        return None
    try:
        raw = base64.b64decode(text, altchars=b"-_", validate=True)
    except binascii.Error:
        return None
    tag, masked = raw[:_TAG_BYTES], raw[_TAG_BYTES:]
    plain = _xor(masked, _mac("pad", tag)[:_ID_BYTES])
    if not hmac.compare_digest(_mac("tag", plain)[:_TAG_BYTES], tag):
        return None
    return int.from_bytes(plain, "big")
