"""Two-step sign-in: a TOTP code (RFC 6238, as authenticator apps make them) after the password,
or one of ten single-use recovery codes.

The TOTP secret is stored sealed with AES-GCM, bound to the user's id: under a key derived from
the key file's key when `CASEBOOK_KEY_FILE` is set (events.keyfile), else from the app's secret
key, which is kept outside the database too. Either way a copy of the database alone gives no one
a user's codes. Recovery codes are stored as SHA-256 hashes only: each is random enough (16
characters of a 31-letter alphabet, about 79 bits) that a hash cannot be searched back to it.
Every verifier takes `now`, so nothing here reads the clock.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import secrets
from collections.abc import Iterable
from datetime import datetime

import pyotp
import sqlalchemy as sa
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy.orm import Session

from casebook.models import RecoveryCode, TwoStepRole, User, reading_session, writing_session
from casebook.roles import ROLES
from casebook.services.access_log import log_access
from events.keyfile import key_encryption_key

#: What an authenticator app lists the account under.
ISSUER = "casebook"
RECOVERY_CODES = 10
_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
#: How many 30-second steps either side of now a code may be from: clocks drift.
_DRIFT = 1
#: The first byte of a sealed secret: which key sealed it.
_BY_KEY_FILE = b"\x02"
_BY_APP_SECRET = b"\x03"

TWO_STEP_REQUIRED = "two-step-required"
TWO_STEP_ENROLLED = "two-step-enrolled"
TWO_STEP_RESET = "two-step-reset"
RECOVERY_CODE_USED = "recovery-code-used"


class TwoStepError(RuntimeError):
    """A sealed secret that cannot be opened: the key it was sealed with is not set."""


def _key(kind: bytes, app_secret: str) -> bytes:
    if kind == _BY_KEY_FILE:
        kek = key_encryption_key()
        if kek is None:
            raise TwoStepError("The two-step secrets are sealed with the key file: set "
                               "CASEBOOK_KEY_FILE to read them.")
        material = kek
    else:
        material = app_secret.encode("utf-8")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"casebook two-step secret").derive(material)


def seal(secret: str, user_id: int, app_secret: str) -> bytes:
    """`secret` sealed for `user_id`'s row, under the key file's key if set."""
    kind = _BY_KEY_FILE if key_encryption_key() is not None else _BY_APP_SECRET
    nonce = os.urandom(12)
    sealed = AESGCM(_key(kind, app_secret)).encrypt(nonce, secret.encode(), _bound(user_id))
    return kind + nonce + sealed


def unseal(stored: bytes, user_id: int, app_secret: str) -> str:
    """The secret `seal` sealed; `TwoStepError` if the key is not the one it was sealed with."""
    try:
        plain = AESGCM(_key(stored[:1], app_secret)).decrypt(stored[1:13], stored[13:],
                                                            _bound(user_id))
    except InvalidTag as error:
        raise TwoStepError("This two-step secret was sealed with another key: the user must "
                           "set up two-step sign-in again.") from error
    return plain.decode()


def _bound(user_id: int) -> bytes:
    return f"totp:{user_id}".encode()


# --- who must use it ---------------------------------------------------------------------------

def required_roles() -> set[str]:
    """The roles whose users must sign in with a code."""
    with reading_session() as db:
        return set(db.execute(sa.select(TwoStepRole.role)).scalars())


def set_required_roles(roles: Iterable[str], by: str) -> set[str]:
    """Require two-step sign-in of exactly `roles`; records the change; returns the roles."""
    chosen = {role for role in roles if role in ROLES}
    with writing_session() as db:
        before = set(db.execute(sa.select(TwoStepRole.role)).scalars())
        if before == chosen:
            return chosen
        db.execute(sa.delete(TwoStepRole).where(TwoStepRole.role.not_in(sorted(chosen))))
        db.add_all(TwoStepRole(role=role, required_by=by) for role in sorted(chosen - before))
        log_access(db.connection(), by, TWO_STEP_REQUIRED,
                   "roles: " + (", ".join(r for r in ROLES if r in chosen) or "none"))
    return chosen


def is_enrolled(user: User) -> bool:
    """Whether `user` has confirmed a secret: they are asked for a code whatever the rules say."""
    return user.totp_confirmed_at is not None


def asks_for_code(user: User) -> bool:
    """Whether signing in as `user` takes a code after the password."""
    return is_enrolled(user) or user.role in required_roles()


# --- enrolling -----------------------------------------------------------------------------------

def begin_enrolment(user_id: int, app_secret: str) -> str:
    """The secret `user_id` is setting up: the one not yet confirmed, or a new one."""
    with writing_session() as db:
        user = _user(db, user_id)
        if user.totp_secret is not None and user.totp_confirmed_at is None:
            return unseal(user.totp_secret, user_id, app_secret)
        secret = pyotp.random_base32()
        user.totp_secret, user.totp_confirmed_at = seal(secret, user_id, app_secret), None
        user.totp_last_step = None
    return secret


def provisioning_uri(secret: str, username: str) -> str:
    """The otpauth:// address an authenticator app takes the secret from."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


def confirm_enrolment(user_id: int, code: str, now: datetime, app_secret: str,
                      address: str | None = None) -> list[str] | None:
    """Confirm the secret with a code from the app; the new recovery codes, or None if the code
    is not right."""
    with writing_session() as db:
        user = _user(db, user_id)
        if user.totp_secret is None or user.totp_confirmed_at is not None:
            return None
        step = _matching_step(unseal(user.totp_secret, user_id, app_secret), code, now, None)
        if step is None:
            return None
        user.totp_confirmed_at, user.totp_last_step = now, step
        codes = _new_recovery_codes(db, user_id)
        log_access(db.connection(), user.username, TWO_STEP_ENROLLED, user.username, address)
    return codes


def _new_recovery_codes(db: Session, user_id: int) -> list[str]:
    db.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = ["-".join("".join(secrets.choice(_ALPHABET) for _ in range(4)) for _ in range(4))
             for _ in range(RECOVERY_CODES)]
    db.add_all(RecoveryCode(user_id=user_id, code_hash=recovery_hash(code)) for code in codes)
    return codes


def recovery_hash(code: str) -> str:
    """The stored form of a recovery code, however it was typed (case, spaces, hyphens)."""
    plain = "".join(c for c in code.lower() if c.isalnum())
    return hashlib.sha256(plain.encode("utf-8")).hexdigest()


# --- signing in ------------------------------------------------------------------------------------

def verify(user_id: int, code: str, now: datetime, app_secret: str,
           address: str | None = None) -> bool:
    """Whether `code` is a current TOTP code not used before, or an unused recovery code (which
    is then used up)."""
    typed = "".join(code.split())
    with writing_session() as db:
        user = _user(db, user_id)
        if user.totp_secret is None or user.totp_confirmed_at is None:
            return False
        if typed.isascii() and typed.isdigit():
            secret = unseal(user.totp_secret, user_id, app_secret)
            step = _matching_step(secret, typed, now, user.totp_last_step)
            if step is None:
                return False
            user.totp_last_step = step
            return True
        found = db.execute(sa.select(RecoveryCode).where(
            RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None),
            RecoveryCode.code_hash == recovery_hash(typed))).scalar_one_or_none()
        if found is None:
            return False
        found.used_at = now
        log_access(db.connection(), user.username, RECOVERY_CODE_USED, user.username, address)
    return True


def _matching_step(secret: str, code: str, now: datetime, last: int | None) -> int | None:
    """The time step within the drift whose code `code` is, if it is later than `last`."""
    code = "".join(code.split())
    if not (code.isascii() and code.isdigit()):  # compare_digest takes ASCII text only
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - _DRIFT, current + _DRIFT + 1):
        if (last is None or step > last) and hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def recovery_codes_left(user_id: int) -> int:
    """How many of the user's recovery codes are still unused."""
    with reading_session() as db:
        return int(db.execute(sa.select(sa.func.count()).select_from(RecoveryCode).where(
            RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))).scalar_one())


def reset(user_id: int, by: str) -> User:
    """Forget a user's secret and recovery codes (a lost phone): they set it up again at their
    next sign-in if it is required of them."""
    with writing_session() as db:
        user = _user(db, user_id)
        user.totp_secret = user.totp_confirmed_at = user.totp_last_step = None
        db.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
        log_access(db.connection(), by, TWO_STEP_RESET, user.username)
    return user


def _user(db: Session, user_id: int) -> User:
    user = db.get(User, user_id)
    if user is None:
        raise LookupError(f"There is no user {user_id}.")
    return user
