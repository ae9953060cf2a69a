"""The key-encryption key: a key kept outside the database (`CASEBOOK_KEY_FILE`) that wraps the
subject keys and the lookup secret, so a copy of the database alone opens nothing.

Without the setting the keys are stored as they are, as before: whoever holds the database holds
the keys. With it, each key is stored wrapped (AES-GCM under the key file's key, bound to what it
is), and losing the file loses every personal field for good, as an erasure of everyone would.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

#: The environment variable naming the key file. Read by the store itself, as every process
#: (web, scheduler, command line) that opens the database must use the same file.
KEY_FILE = "CASEBOOK_KEY_FILE"
#: A key as the database stores it without a key file: 32 bytes, as made.
PLAIN_LENGTH = 32
#: The first byte of a wrapped key, then a 12-byte nonce and the ciphertext with its tag.
_WRAPPED = b"\x01"


class KeyFileError(RuntimeError):
    """The key file is missing, unreadable, malformed, or not the one the keys were wrapped with."""


def key_encryption_key() -> bytes | None:
    """The key file's key if `CASEBOOK_KEY_FILE` is set, else None."""
    path = os.environ.get(KEY_FILE, "").strip()
    return _read(path) if path else None


def new_key_text() -> str:
    """The text of a new key file: a random 256-bit key, in hex."""
    return AESGCM.generate_key(bit_length=256).hex() + "\n"


@lru_cache(maxsize=8)
def _read(path: str) -> bytes:
    try:
        text = Path(path).read_bytes().strip()
    except OSError as error:
        raise KeyFileError(f"{KEY_FILE} names {path}, which cannot be read ({error.strerror}): "
                           "point it at the key file, or unset it.") from error
    try:
        key = bytes.fromhex(text.decode("ascii"))
    except (UnicodeDecodeError, ValueError):
        key = b""
    if len(key) != PLAIN_LENGTH:
        raise KeyFileError(f"The key file {path} ({KEY_FILE}) must hold 64 hexadecimal digits "
                           "(a 256-bit key), as `casebook keys new-file` writes it.")
    return key


def is_wrapped(stored: bytes) -> bool:
    """Whether a stored key was wrapped with a key file."""
    return len(stored) != PLAIN_LENGTH and stored[:1] == _WRAPPED


def wrap(kek: bytes, plain: bytes, purpose: str) -> bytes:
    """`plain` wrapped with the key file's key; `purpose` (like the key id) is bound in."""
    nonce = os.urandom(12)
    return _WRAPPED + nonce + AESGCM(kek).encrypt(nonce, plain, purpose.encode())


def unwrap(stored: bytes, purpose: str) -> bytes:
    """A stored key as it was made; `KeyFileError` if it is wrapped and the key file is not
    set or is not the one it was wrapped with."""
    if not is_wrapped(stored):
        return stored
    kek = key_encryption_key()
    if kek is None:
        raise KeyFileError(f"The subject keys are wrapped with a key file: set {KEY_FILE} to "
                           "its path to read or add personal data.")
    return _unwrapped(kek, stored, purpose)


@lru_cache(maxsize=4096)
def _unwrapped(kek: bytes, stored: bytes, purpose: str) -> bytes:
    # Cached: a page or an export opens many events sealed with the same few keys.
    try:
        return AESGCM(kek).decrypt(stored[1:13], stored[13:], purpose.encode())
    except InvalidTag as error:
        raise KeyFileError(f"The key file ({KEY_FILE}) is not the one these keys were wrapped "
                           "with.") from error
