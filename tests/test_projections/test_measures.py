"""The six measures of spec §5, each on a small history whose answer can be worked out by hand."""

from __future__ import annotations

from sqlalchemy.engine import Engine

from tests.helpers import event, log, referral, summary, value, void


def test_a_year_distinct_counts_each_value_once_though_it_appears_in_several_quarters(
    engine: Engine,
) -> None:
    log(
        engine,
        event("referral.received", "asb-casework", "2024-05-01", "ASB-1"),
        event("notice.issued", "asb-casework", "2024-08-01", "ASB-1", notice="cpw"),
        event("referral.received", "asb-casework", "2024-08-02", "ASB-2"),
        event("deployment.made", "mobile-cctv", "2024-05-01", asset="camera 1", location="Park"),
        event("deployment.made", "mobile-cctv", "2024-11-01", asset="camera 1", location="Quay"),
    )
    quarters = [value(engine, "asb.cases", quarter=q) for q in ("Q1", "Q2", "Q3", "Q4")]
    assert quarters == [1, 2, 0, 0]
    assert value(engine, "asb.cases") == 2
    assert value(engine, "cctv.cameras") == 1
    assert value(engine, "cctv.locations") == 2


def test_voiding_one_of_two_events_with_a_value_keeps_the_value_counted(engine: Engine) -> None:
    first, _ = log(
        engine,
        event("referral.received", "asb-casework", "2024-05-01", "ASB-1"),
        event("referral.received", "asb-casework", "2024-05-02", "ASB-1"),
    )
    log(engine, void(first))
    assert value(engine, "asb.cases") == 1
    assert value(engine, "asb.complaints") == 1


def test_active_is_joins_minus_leavings_at_the_end_of_the_period(engine: Engine) -> None:
    log(
        engine,
        event("member.joined", "safer-towns", "2024-04-10", member="Baker"),
        event("member.joined", "safer-towns", "2024-05-10", member="Butcher"),
        event("member.joined", "safer-towns", "2024-08-10", member="Chemist"),
        event("member.left", "safer-towns", "2025-01-10", member="Baker"),
        event("member.joined", "safer-towns", "2023-06-01", member="Bank"),
    )
    assert [value(engine, "safer_towns.members", quarter=q) for q in ("Q1", "Q2", "Q3", "Q4")] \
        == [3, 4, 4, 3]
    assert value(engine, "safer_towns.members") == 3
    assert summary(engine)["figures"]["safer_towns.members"]["previous"] == 1


def test_a_referral_is_a_repeat_only_with_another_to_the_scheme_in_the_12_months_before(
    engine: Engine,
) -> None:
    log(
        engine,
        referral(occurred_at="2023-05-01", subject="S-1"),
        referral(occurred_at="2024-05-01", subject="S-1"),  # exactly 12 months on: a repeat
        referral(occurred_at="2023-03-01", subject="S-2"),
        referral(occurred_at="2024-06-01", subject="S-2"),  # 15 months on: not a repeat
        referral(occurred_at="2024-06-02", subject="S-3"),
        referral(occurred_at="2024-06-02", subject="S-4"),
        referral(scheme="mediation", occurred_at="2024-01-02", subject="S-4"),  # other scheme
    )
    figure = summary(engine, quarter="Q1")["figures"]["davss.repeat_rate"]
    assert figure["value"] == 0.25 and figure["base"] == 4
    assert summary(engine, "2023/24")["figures"]["davss.repeat_rate"]["value"] == 0.0


def test_voiding_the_earlier_referral_means_the_later_one_is_no_longer_a_repeat(
    engine: Engine,
) -> None:
    earlier, _ = log(
        engine,
        referral(occurred_at="2024-04-01", subject="S-1"),
        referral(occurred_at="2024-05-01", subject="S-1"),
    )
    assert value(engine, "davss.repeat_rate") == 0.5
    log(engine, void(earlier))
    assert value(engine, "davss.repeat_rate") == 0.0


def test_a_rate_with_no_referrals_is_null_not_zero(engine: Engine) -> None:
    figure = summary(engine)["figures"]["davss.repeat_rate"]
    assert figure["value"] is None and figure["base"] == 0


def test_the_return_stored_last_for_a_quarter_counts_and_the_year_sums_the_quarters(
    engine: Engine,
) -> None:
    def return_(quarter: str, amount: int, sent: str) -> dict[str, object]:
        return event("return.submitted", "idva", sent, indicator="people-supported",
                     quarter=quarter, value=amount)

    _, _, correction = log(
        engine,
        return_("2024/25 Q1", 80, "2024-07-10"),
        return_("2024/25 Q2", 90, "2024-10-10"),
        return_("2024/25 Q1", 85, "2024-07-20"),
    )
    log(engine, return_("2024/25 Q1", 70, "2024-07-15"))  # sent earlier, stored later
    log(engine, event("return.submitted", "idva", "2024-07-11", indicator="calls",
                      quarter="2024/25 Q1", value=500))
    assert value(engine, "idva.supported", quarter="Q1") == 70
    assert value(engine, "idva.supported") == 160
    latest = log(engine, return_("2024/25 Q1", 77, "2024-07-25"))[0]
    log(engine, void(latest))
    assert value(engine, "idva.supported", quarter="Q1") == 70
    assert correction.data["value"] == 85


def test_a_breakdown_counts_each_value_with_not_recorded_and_sums_to_the_figure(
    engine: Engine,
) -> None:
    log(
        engine,
        referral(risk="high", gender="female"),
        referral(risk="high"),
        referral(risk="medium", gender="male", occurred_at="2024-09-01"),
        referral(),
    )
    figure = summary(engine)["figures"]["davss.referrals"]
    assert figure["value"] == 4
    assert figure["breakdown"] == {
        "risk": {"high": 2, "medium": 1, "not-recorded": 1},
        "gender": {"female": 1, "male": 1, "not-recorded": 2},
    }
    assert summary(engine, quarter="Q2")["figures"]["davss.referrals"]["breakdown"]["risk"] \
        == {"medium": 1, "not-recorded": 0}


def test_sums_add_the_field_and_counts_filtered_by_where_count_only_matches(
    engine: Engine,
) -> None:
    log(
        engine,
        event("programme.delivered", "freedom-programme", "2024-05-01", run="A", attendees=8),
        event("programme.delivered", "freedom-programme", "2024-10-01", run="B", attendees=0),
        event("panel.held", "asb-case-review", "2024-06-01", panel="case-review",
              recommendations=2),
        event("panel.held", "asb-case-review", "2024-06-02", panel="case-review",
              recommendations=0),
        event("panel.held", "asb-case-review", "2024-06-03", panel="case-review"),
    )
    assert value(engine, "freedom.attendees") == 8
    assert value(engine, "freedom.programmes") == 2
    assert value(engine, "case_review.reviews") == 3
    assert value(engine, "case_review.with_recommendations") == 1


def test_previous_is_null_until_the_scheme_has_events_in_or_before_the_earlier_period(
    engine: Engine,
) -> None:
    log(engine, referral(occurred_at="2024-05-01"), referral(occurred_at="2023-08-01",
                                                              scheme="mediation"))
    q1 = summary(engine, quarter="Q1")["figures"]
    assert q1["davss.referrals"]["previous"] is None
    assert q1["mediation.clients"]["previous"] is None
    year = summary(engine)["figures"]
    assert year["mediation.clients"]["previous"] == 1
    assert summary(engine, quarter="Q3")["figures"]["mediation.clients"]["previous"] == 0
    assert year["davss.referrals"]["previous"] is None
