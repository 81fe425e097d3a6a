"""Who gains from pooling: games worked out by hand, and the example."""

import dataclasses
import json
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

import pooling
from pooling import words
from pooling.analyses.partnership import analyse, settle, solve_coalition
from pooling.cli import main

from .helpers import place_sheets, write_sheets

ROOT = Path(__file__).resolve().parent.parent
approx = lambda value: pytest.approx(value, rel=1e-7, abs=1e-6)  # noqa: E731


def load(tmp_path, sheets, **levers):
    path = write_sheets(tmp_path / "place.xlsx", sheets)
    scenario = pooling.scenario_from_dict({"workbook": str(path), "solver": "highs", **levers})
    place, package = pooling.load(path)
    return place, package, scenario


def three_partners(cap=None):
    # A leads the pooled programme P (20 units per £1m) but has no money. B and C have £100k
    # each and programmes of their own: PB buys 5 per £1m, PC 10. A unit is worth £1,000.
    return place_sheets(
        partners=[("A", "council", None, None), ("B", "health", None, None), ("C", "police", None, None)],
        funding=[
            ("GA", "A", "grant", 0, None, None),
            ("GB", "B", "other", 100, None, None),
            ("GC", "C", "grant", 100, None, None),
        ],
        programmes=[
            ("P", "A", "yes", 0, None, cap),
            ("PB", "B", "no", 0, None, None),
            ("PC", "C", "no", 0, None, None),
        ],
        outcomes=[("O", 1000, None, None)],
        effects=[("P", "O", 20, None), ("PB", "O", 5, None), ("PC", "O", 10, None)],
    )


def test_three_partner_game_by_hand(tmp_path):
    # All in silo: B 0.5 units, C 1.0: £1,500. What pooling adds, w(S):
    #   {A,B}: B's money into P: 2.0 + C's 1.0 = 3.0 units, w = 1,500
    #   {A,C}: C's into P: 2.0 + B's 0.5 = 2.5, w = 1,000
    #   {B,C}: no pooled programme is theirs: w = 0;  all three: 4.0 units, w = 2,500
    # Shapley (weights 1/3, 1/6, 1/6, 1/3 for coalitions of 0, 1, 1, 2 others):
    #   A: 1,500/6 + 1,000/6 + 2,500/3 = 1,250;  B: 1,500/6 + 1,500/3 = 750;  C: 1,000/6 + 1,000/3 = 500
    place, package, scenario = load(tmp_path, three_partners())
    analysis = analyse(place, package, scenario, workers=1)
    game = analysis.game
    assert game.exact and game.whole
    assert game.values[frozenset()].value == approx(1500.0)
    assert game.dividend == approx(2500.0)
    assert game.gain(frozenset("AB")) == approx(1500.0)
    assert game.gain(frozenset("AC")) == approx(1000.0)
    assert game.gain(frozenset("BC")) == approx(0.0)
    assert game.shapley == {"A": approx(1250.0), "B": approx(750.0), "C": approx(500.0)}
    # Walk-away: w(N) − w(N ∖ {i}): A 2,500 − 0; B 2,500 − 1,000; C 2,500 − 1,500.
    assert game.walk_away() == {"A": approx(2500.0), "B": approx(1500.0), "C": approx(1000.0)}
    # The game is convex: the shares are in the core.
    assert game.core_violations() == []


def test_a_coalition_that_would_do_better_alone_is_named(tmp_path):
    # Now P takes at most £100k. All three: B's money fills P (C's own programme is the
    # better one), 2.0 + C's 1.0 = 3.0 units, w = 1,500; {A,B} the same, w = 1,500;
    # {A,C}: 2.0 + 0.5, w = 1,000; {B,C}: 0.
    # Shapley: A 1,500/6 + 1,000/6 + 1,500/3 = 916.67; B 1,500/6 + (1,500 − 1,000)/3 = 416.67;
    # C 1,000/6 + 0 = 166.67. A and B alone get 1,500 > 916.67 + 416.67 = 1,333.33.
    place, package, scenario = load(tmp_path, three_partners(cap=100))
    game = analyse(place, package, scenario, workers=1).game
    assert game.shapley == {"A": approx(2750 / 3), "B": approx(1250 / 3), "C": approx(500 / 3)}
    ((members, worth, shares),) = game.core_violations()
    assert members == frozenset("AB")
    assert worth == approx(1500.0) and shares == approx(4000 / 3)


def test_two_partner_game_with_savings_and_its_settlement(tmp_path):
    # A: £100k a year, leads pooled PA (20 per £1m, at most 130). B: £100k, PB of its own (5).
    # Each unit is worth £1,000 and saves A £200, all cashable, a year later. Two years, no
    # discounting.
    # Silo: year 1 PA 100 (2.0) + PB 100 (0.5) = 2.5 units; year 2 A's savings 0.2 × 2.5 =
    #   0.5 go to PA: 100.5 (2.01) + PB 0.5: 2.51 units. v = 2,500 + 2,510 = 5,010.
    # Pooled: year 1 PA 130 (2.6) + PB 70 (0.35) = 2.95; year 2 savings 0.59, PA 130 (2.6),
    #   PB 200.59 − 130 = 70.59 (0.35295): 2.95295. v = 2,950 + 2,952.95 = 5,902.95.
    # Dividend 892.95, shared equally (two partners): 446.475 each.
    # Cashable gain: A receives 0.59 pooled against 0.5 in silo: 0.09; B nothing. Shared
    # like the dividend, 0.045 each: A pays B 0.045 (£45).
    sheets = place_sheets(
        partners=[("A", "council", None, None), ("B", "health", None, None)],
        funding=[("GA", "A", "grant", 100, None, None), ("GB", "B", "other", 100, None, None)],
        programmes=[("PA", "A", "yes", 0, None, 130), ("PB", "B", "no", 0, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("PA", "O", 20, None), ("PB", "O", 5, None)],
        savings=[("O", "A", 200, 1, 1)],
        years=2,
    )
    place, package, scenario = load(tmp_path, sheets)
    analysis = analyse(place, package, scenario, workers=1)
    game = analysis.game
    assert game.values[frozenset()].value == approx(5010.0)
    assert game.values[frozenset("AB")].value == approx(5902.95)
    assert game.shapley == {"A": approx(446.475), "B": approx(446.475)}
    assert analysis.cashable_gain == {"A": approx(0.09), "B": approx(0.0)}
    assert analysis.transfers == {"A": approx(-0.045), "B": approx(0.045)}
    ((payment),) = analysis.payments
    assert (payment.payer, payment.receiver) == ("A", "B") and payment.amount == approx(0.045)


def test_settlement_payments_carry_out_the_transfers():
    # X pays 5, Y pays 3, Z receives 6, W receives 2: the largest payer pays the largest
    # receiver first: X → Z 5, Y → Z 1, Y → W 2.
    payments = settle({"X": -5.0, "Y": -3.0, "Z": 6.0, "W": 2.0})
    assert [(p.payer, p.receiver, p.amount) for p in payments] == [("X", "Z", 5.0), ("Y", "Z", 1.0), ("Y", "W", 2.0)]


def b_must_pool_more_than_a_can_take():
    # B must put at least 80% of its 100 into pooled programmes, but the only one (led by
    # A) takes at most 10.
    return place_sheets(
        partners=[("A", "council", None, None), ("B", "health", 0.8, None), ("C", "fire", None, None)],
        funding=[
            ("GA", "A", "grant", 10, None, None),
            ("GB", "B", "other", 100, None, None),
            ("GC", "C", "grant", 10, None, None),
        ],
        programmes=[("P", "A", "yes", 0, None, 10), ("PB", "B", "no", 0, None, None), ("PC", "C", "no", 0, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("P", "O", 20, None), ("PB", "O", 5, None), ("PC", "O", 5, None)],
    )


def test_an_infeasible_coalition_is_named_and_no_shares_are_given(tmp_path):
    # B must put at least 80% of its money into pooled programmes, but the only one (led by
    # A) takes at most 10: any coalition with A and B pooling is infeasible.
    sheets = b_must_pool_more_than_a_can_take()
    place, package, scenario = load(tmp_path, sheets)
    game = analyse(place, package, scenario, workers=1).game
    assert not game.whole and not game.shapley
    broken = {frozenset(v.members) for v in game.infeasible}
    assert frozenset("AB") in broken and frozenset("ABC") in broken
    assert any("Partners!D3" in v.reason for v in game.infeasible)


@pytest.fixture(scope="module")
def example():
    place, package = pooling.load(ROOT / "spreadsheets" / "example.xlsx")
    scenario = pooling.read_scenario(ROOT / "scenarios" / "sr2010-pooled.toml", {"solver": "highs"})
    return place, package, scenario, analyse(place, package, scenario, workers=2)


def test_fair_shares_add_up_to_the_dividend_on_the_example(example):
    place, _, _, analysis = example
    game = analysis.game
    assert len(place.partners) >= 6 and game.exact and game.whole
    assert sum(game.shapley.values()) == pytest.approx(game.dividend, rel=1e-9)
    assert sum(analysis.transfers.values()) == pytest.approx(0.0, abs=1e-6)
    assert sum(p.amount for p in analysis.payments) == pytest.approx(
        sum(t for t in analysis.transfers.values() if t > 0), rel=1e-9
    )


def test_v_all_and_v_none_are_the_pooled_and_silo_runs(example):
    place, package, scenario, analysis = example
    pooled = pooling.run(ROOT / "scenarios" / "sr2010-pooled.toml", overrides={"solver": "highs"}, counterpart=False)
    silo = pooling.run(ROOT / "scenarios" / "sr2010-silo.toml", overrides={"solver": "highs"}, counterpart=False)
    everyone = frozenset(place.partners)
    assert solve_coalition(place, dataclasses.replace(scenario, solver="highs"), everyone).value == pytest.approx(
        pooled.objective, rel=1e-9
    )
    assert solve_coalition(place, dataclasses.replace(scenario, solver="highs"), frozenset()).value == pytest.approx(
        silo.objective, rel=1e-9
    )
    assert analysis.game.values[everyone].value == pytest.approx(pooled.objective, rel=1e-9)
    # a coalition of everyone, named in a scenario, is the pooled run too
    named = pooling.read_scenario(
        ROOT / "scenarios" / "sr2010-pooled.toml", {"solver": "highs", "coalition": sorted(everyone)}
    )
    assert pooling.solve_scenario(named, place, package).objective == pytest.approx(pooled.objective, rel=1e-9)


def test_one_worker_or_two_give_the_same_game(tmp_path):
    place, package, scenario = load(tmp_path, three_partners(cap=100))
    one = analyse(place, package, scenario, workers=1).game
    two = analyse(place, package, scenario, workers=2).game
    assert {k: v.value for k, v in one.values.items()} == {k: v.value for k, v in two.values.items()}


def test_command_line_writes_the_partnership_and_json(tmp_path):
    place = write_sheets(tmp_path / "place.xlsx", three_partners())
    scenario = tmp_path / "s.toml"
    scenario.write_text(f'name = "Three"\nworkbook = "{place.name}"\nsolver = "highs"\n')
    out = tmp_path / "partnership.xlsx"
    result = CliRunner().invoke(main, ["partners", str(scenario), "-o", str(out), "--workers", "1", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["dividend"] == approx(2500.0) and data["shapley"]["A"] == approx(1250.0)
    assert data["walk_away_loss"]["C"] == approx(1000.0)
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["Partnership", "Coalitions", "Money flows", "Settlement", "Audit"]
    assert len(book["Partnership"]._charts) == 1
    text = CliRunner().invoke(main, ["partners", str(scenario), "--workers", "1"])
    assert "Pooling is worth £2,500 of outcome value" in text.output


def test_beyond_twelve_partners_shares_are_sampled_with_an_interval(tmp_path):
    from pooling.synthetic import generate_place, write_workbook

    path = tmp_path / "many.xlsx"
    write_workbook(
        generate_place(1, partners=13, streams_per_partner=1, programmes=14, outcomes=2, years=1, savings=False), path
    )
    place, package = pooling.load(path)
    scenario = pooling.scenario_from_dict({"workbook": str(path), "solver": "highs", "objective": "outcomes"})
    game = analyse(place, package, scenario, workers=2, samples=12, seed=5).game
    assert not game.exact and game.samples == 12 and game.seed == 5 and game.whole
    # every sampled order's marginal contributions add up to the dividend, so their mean does
    assert sum(game.shapley.values()) == pytest.approx(game.dividend, rel=1e-9, abs=1e-6)
    assert set(game.interval) == set(place.partners) and all(h >= 0 for h in game.interval.values())
    assert any(h > 0 for h in game.interval.values())
    again = analyse(place, package, scenario, workers=1, samples=12, seed=5).game
    assert again.shapley == pytest.approx(game.shapley)


def test_a_dividend_within_solver_precision_is_nil_with_no_shares_or_payments(tmp_path):
    # A and B buy the same outcome at the same rate (7.3 per £1m) with their own money
    # (£137.1k and £58.9k), and B's saving comes back to A: pooled or not, every pound buys
    # the same, so the dividend is 0 and any share of it would be rounding noise.
    sheets = place_sheets(
        partners=[("A", "council", None, None), ("B", "health", None, None)],
        funding=[("GA", "A", "grant", 137.1, None, None), ("GB", "B", "grant", 58.9, None, None)],
        programmes=[("PA", "A", "yes", 90, None, None), ("PB", "B", "yes", 40, None, None)],
        outcomes=[("O", 1234.5, None, None)],
        effects=[("PA", "O", 7.3, None), ("PB", "O", 7.3, None)],
        savings=[("O", "A", 310, 0.4, 1)],
        years=3,
        discount_rate=0.035,
    )
    place, package, scenario = load(tmp_path, sheets)
    analysis = analyse(place, package, scenario, workers=1)
    game = analysis.game
    assert game.dividend == 0.0  # exactly: a difference within the precision is made nil
    assert set(game.shapley.values()) <= {0.0}
    assert game.core_violations() == []
    assert not analysis.payments
    text = " ".join(words.partnership_sentences(analysis))
    assert "work most" not in text and "no payments are due" in text


def test_the_pool_share_limits_cost_is_said_beside_the_dividend(tmp_path):
    # A has £100k and a programme of its own buying 5 units per £1m; B leads the pooled PB,
    # buying 20, and has no money. A may pool at most 50% of its funding. Silo: 100 into PA,
    # 0.5 units, £500. Pooled: 50 into PB (1.0) and 50 into PA (0.25): £1,250, a dividend
    # of £750. Without the 50% limit all 100 would go to PB: 2.0 units, £2,000: the limit
    # holds back £750.
    sheets = place_sheets(
        partners=[("A", "council", None, 0.5), ("B", "health", None, None)],
        funding=[("GA", "A", "grant", 100, None, None), ("GB", "B", "grant", 0, None, None)],
        programmes=[("PA", "A", "no", 0, None, None), ("PB", "B", "yes", 0, None, None)],
        outcomes=[("O", 1000, None, None)],
        effects=[("PA", "O", 5, None), ("PB", "O", 20, None)],
    )
    path = write_sheets(tmp_path / "place.xlsx", sheets)
    scenario = pooling.scenario_from_dict({"workbook": str(path), "solver": "highs"})
    place, package = pooling.load(path)
    result = pooling.solve_scenario(scenario, place, package, counterpart=True)
    assert result.objective == approx(1250.0)
    assert result.dividend() == approx(750.0)
    assert result.caps_cost() == approx(750.0)
    assert "hold back £750 of outcome value: without them pooling would be worth £1,500" in result.dividend_sentence()
    assert dict(result.summary_rows())["Held back by the pool-share limits"] == approx(750.0)


def test_the_words_say_a_fair_share_is_value_and_the_settlement_is_cash(example):
    from pooling import words
    from pooling.analyses.books import _share

    *_, analysis = example
    sentences = words.partnership_sentences(analysis)
    assert any("a contribution to outcome value, not a sum of cash to share out" in s for s in sentences)
    assert any("The settlement, where there is one, is in cash" in s for s in sentences)
    # A share within the solvers' precision of nothing is 0%, not -0%.
    assert _share(-1e-9, 44.0e6, 1e-3) == 0.0 and f"{_share(-1e-9, 44.0e6, 1e-3):.0%}" == "0%"
    assert _share(11.0e6, 44.0e6, 1e-3) == pytest.approx(0.25)


def test_money_in_one_sentence_is_in_one_unit():
    from pooling.fmt import money_together

    assert money_together(404_268.0, 44_890_000.0) == ["£0.40m", "£44.89m"]
    assert money_together(750.0, 1_500.0) == ["£750", "£1,500"]
    assert money_together(-2_500_000.0, 100.0) == ["-£2.50m", "£0.00m"]


def test_every_coalition_re_solved_warm_equals_its_own_model_solved_cold(example):
    # One model, bounds changed coalition by coalition in Gray-code order, each re-solved
    # from the last basis: the same v(S) as building and solving S's own model.
    from pooling.analyses.coalitions import CoalitionModel, gray_order

    place, _, scenario, analysis = example
    partners = list(place.partners)
    coalitions = [members for members in analysis.game.values if members]
    ordered = gray_order(coalitions + [frozenset()], partners)
    assert len(ordered) == 2 ** len(partners) - len(partners)  # every coalition of two or more, and silo
    model = CoalitionModel(place, scenario)
    for members in ordered:
        warm = model.solve(members)
        cold = solve_coalition(place, scenario, members)
        assert warm.status == cold.status
        assert warm.value == pytest.approx(cold.value, rel=1e-9), sorted(members)


def test_gray_order_changes_one_partner_at_a_time():
    from itertools import combinations

    from pooling.analyses.coalitions import gray_order

    partners = ["A", "B", "C", "D"]
    every = [frozenset(c) for size in range(5) for c in combinations(partners, size)]
    ordered = gray_order(every, partners)
    assert sorted(map(sorted, ordered)) == sorted(map(sorted, every))
    assert all(len(one ^ two) == 1 for one, two in zip(ordered, ordered[1:]))


def test_a_coalition_with_no_plan_is_found_warm_and_explained_cold(tmp_path):
    # As in the infeasible-coalition test: B must pool 80% of its 100, and the only pooled
    # programme (A's) takes at most 10. B pooling with A has no plan; A with C, and silo, do.
    from pooling.analyses.coalitions import CoalitionModel

    sheets = b_must_pool_more_than_a_can_take()
    place, _, scenario = load(tmp_path, sheets)
    model = CoalitionModel(place, scenario)
    assert model.solve(frozenset("AB")).status == "infeasible"
    after = model.solve(frozenset("AC"))  # from the basis an infeasible solve left
    assert after.status == "optimal"
    assert after.value == pytest.approx(solve_coalition(place, scenario, frozenset("AC")).value, rel=1e-9)
    assert model.solve(frozenset()).value == pytest.approx(solve_coalition(place, scenario, frozenset()).value)


def test_partners_shows_a_progress_bar_with_the_coalitions_done(monkeypatch):
    import io
    import sys

    from pooling import cli

    class Terminal(io.StringIO):
        def isatty(self):
            return True

    terminal = Terminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    progress = cli._progress_bar("Coalitions")
    for done in range(1, 121, 7):
        progress(done, 120)
    progress(120, 120)
    shown = terminal.getvalue()
    assert "Coalitions" in shown and "113/120" in shown and "120/120" in shown
    assert shown.count("120/120") == 1  # finished once, though told twice
