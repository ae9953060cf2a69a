"""Two-step sign-in on both databases: sealed secrets, codes from a fixed time, recovery codes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from sqlalchemy.engine import Engine

from casebook.models import RecoveryCode, User, reading_session
from casebook.services import two_step
from events.keyfile import KEY_FILE, new_key_text
from tests.test_casebook.conftest import MakeUser

NOW = datetime(2026, 3, 2, 9, 30, 10, tzinfo=UTC)
SECRET = "test-secret-key"


def _enrolled(app: Flask, user_id: int) -> tuple[str, list[str]]:
    secret = two_step.begin_enrolment(user_id, SECRET)
    codes = two_step.confirm_enrolment(user_id, pyotp.TOTP(secret).at(NOW), NOW, SECRET)
    assert codes is not None
    return secret, codes


def test_the_secret_is_stored_sealed_and_bound_to_its_user(
        app: Flask, make_user: MakeUser, engine: Engine) -> None:
    user, other = make_user("officer"), make_user("officer")
    with app.app_context():
        secret = two_step.begin_enrolment(user.id, SECRET)
        # Asking again before confirming shows the same secret: the app may already hold it.
        assert two_step.begin_enrolment(user.id, SECRET) == secret
    with engine.connect() as connection:
        stored = connection.execute(sa.select(User.__table__.c.totp_secret)
                                    .where(User.__table__.c.id == user.id)).scalar_one()
    assert secret.encode() not in stored and len(stored) > len(secret)
    assert two_step.unseal(stored, user.id, SECRET) == secret
    with pytest.raises(two_step.TwoStepError):
        two_step.unseal(stored, other.id, SECRET)  # another row's secret cannot be swapped in
    with pytest.raises(two_step.TwoStepError):
        two_step.unseal(stored, user.id, "another-secret-key")


def test_with_a_key_file_the_secret_is_sealed_under_it(
        app: Flask, make_user: MakeUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    key_file = tmp_path / "casebook.key"
    key_file.write_text(new_key_text())
    monkeypatch.setenv(KEY_FILE, str(key_file))
    sealed = two_step.seal("JBSWY3DPEHPK3PXP", 7, SECRET)
    assert sealed[:1] == b"\x02"
    # The app's secret key alone does not open it.
    assert two_step.unseal(sealed, 7, "anything") == "JBSWY3DPEHPK3PXP"
    monkeypatch.delenv(KEY_FILE)
    with pytest.raises(two_step.TwoStepError):
        two_step.unseal(sealed, 7, SECRET)


def test_enrolment_takes_a_right_code_and_gives_ten_recovery_codes_stored_as_hashes(
        app: Flask, make_user: MakeUser) -> None:
    user = make_user("partner", ["davss"])
    with app.app_context():
        secret = two_step.begin_enrolment(user.id, SECRET)
        wrong = pyotp.TOTP(secret).at(NOW - timedelta(minutes=5))
        assert two_step.confirm_enrolment(user.id, wrong, NOW, SECRET) is None
        codes = two_step.confirm_enrolment(user.id, pyotp.TOTP(secret).at(NOW), NOW, SECRET)
        assert codes is not None and len(set(codes)) == two_step.RECOVERY_CODES
        with reading_session() as db:
            hashes = set(db.execute(sa.select(RecoveryCode.code_hash)
                                    .where(RecoveryCode.user_id == user.id)).scalars())
            found = db.get(User, user.id)
        assert found is not None and found.totp_confirmed_at == NOW
        assert hashes == {two_step.recovery_hash(code) for code in codes}
        assert not hashes & set(codes)


def test_a_code_works_once_within_the_drift_and_a_recovery_code_works_once(
        app: Flask, make_user: MakeUser) -> None:
    user = make_user("officer")
    with app.app_context():
        secret, codes = _enrolled(app, user.id)
        totp = pyotp.TOTP(secret)
        later = NOW + timedelta(minutes=2)
        assert two_step.verify(user.id, totp.at(later), later, SECRET)
        assert not two_step.verify(user.id, totp.at(later), later, SECRET)  # no replay
        # A code one step away still counts (a phone clock a little fast); further ones never.
        next_step = later + timedelta(seconds=30)
        assert two_step.verify(user.id, totp.at(next_step + timedelta(seconds=30)), next_step,
                               SECRET)
        much_later = NOW + timedelta(hours=1)
        assert not two_step.verify(user.id, totp.at(much_later - timedelta(minutes=2)),
                                   much_later, SECRET)
        assert not two_step.verify(user.id, "not-a-code", much_later, SECRET)
        assert not two_step.verify(user.id, "١٢٣٤٥٦", much_later, SECRET)  # other digits
        assert not two_step.verify(user.id, "9" * 10_000, much_later, SECRET)
        typed = " " + codes[3].upper().replace("-", " ") + " "
        assert two_step.verify(user.id, typed, much_later, SECRET)
        assert not two_step.verify(user.id, codes[3], much_later, SECRET)
        assert two_step.recovery_codes_left(user.id) == two_step.RECOVERY_CODES - 1


def test_required_roles_are_stored_and_reset_forgets_the_secret(
        app: Flask, make_user: MakeUser) -> None:
    officer, viewer = make_user("officer"), make_user("viewer")
    with app.app_context():
        assert two_step.set_required_roles(["officer", "partner", "nobody"], "boss") == {
            "officer", "partner"}
        assert two_step.required_roles() == {"officer", "partner"}
        with reading_session() as db:
            found_officer, found_viewer = db.get(User, officer.id), db.get(User, viewer.id)
        assert found_officer is not None and found_viewer is not None
        assert two_step.asks_for_code(found_officer) and not two_step.asks_for_code(found_viewer)
        _enrolled(app, viewer.id)
        with reading_session() as db:
            found_viewer = db.get(User, viewer.id)
        assert found_viewer is not None and two_step.asks_for_code(found_viewer)
        two_step.reset(viewer.id, "boss")
        assert two_step.recovery_codes_left(viewer.id) == 0
        with reading_session() as db:
            found_viewer = db.get(User, viewer.id)
        assert found_viewer is not None and found_viewer.totp_secret is None
        assert not two_step.asks_for_code(found_viewer)
        assert two_step.set_required_roles([], "boss") == set()
        assert two_step.required_roles() == set()
