"""The core path end to end on both databases: log, count, void, rebuild."""

from sqlalchemy.engine import Engine

from projections.rebuild import rebuild
from tests.helpers import log, notice, referral, summary, value, void


def test_a_logged_referral_is_counted_at_once_and_a_void_removes_it(engine: Engine) -> None:
    first, _ = log(
        engine,
        referral(risk="high"),
        referral(risk="medium", occurred_at="2024-07-01T00:30:00+01:00"),
    )
    assert value(engine, "davss.referrals") == 2
    assert value(engine, "davss.referrals", quarter="Q2") == 1
    log(engine, void(first))
    figure = summary(engine)["figures"]["davss.referrals"]
    assert figure["value"] == 1
    assert figure["breakdown"]["risk"] == {"medium": 1, "not-recorded": 0}
    rebuild(engine)
    assert summary(engine)["figures"]["davss.referrals"] == figure


def test_cpn_needs_an_earlier_cpw_in_the_same_case(engine: Engine) -> None:
    log(engine, notice("cpw", case="ASB-1"), notice("cpn", case="ASB-1", occurred_at="2024-05-05"))
    assert value(engine, "asb.cpn") == 1
