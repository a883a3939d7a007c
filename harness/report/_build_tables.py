"""The tables of a build task: scoreboard, judge strictness, self-bias, agreement, cost efficiency."""

from __future__ import annotations

from ._build_facts import BuildFacts, hard_fail_cell
from ._format import mean_or_none, signed, usd
from ._views import Column, Table, TableCell, cell, number_cell

__all__ = ["agreement_table", "cost_efficiency_table", "scoreboard_table", "self_bias_table", "strictness_table"]


def scoreboard_table(facts: BuildFacts) -> Table:
    has_expert = bool(facts.experts)
    composite = {row.impl: row.composite for row in facts.result.flat}
    rows = []
    for impl in facts.impls:
        row = facts.scoreboard.get(impl)
        name = cell(facts.label(impl).name, impl, href=f"#{facts.impl_anchor(impl)}")
        if row is None:
            rows.append([cell(None), name] + [cell(None)] * (9 if has_expert else 7))
            continue
        expert = [number_cell(row.spec_expert), number_cell(row.quality_expert)] if has_expert else []
        passed, _, total = row.tests.partition("/")
        tests_css = "good" if passed == total and total not in ("", "0") else "bad"
        rows.append(
            [
                number_cell(facts.rank.get(impl), 0),
                name,
                number_cell(composite.get(impl), css="strong"),
                number_cell(row.spec_peer),
                number_cell(row.quality_peer),
                *expert,
                number_cell(row.spec_all),
                number_cell(row.quality_all),
                TableCell(text=row.tests, css=f"num {tests_css}", sort=passed),
                cell(row.verdict, css=f"verdict-{row.verdict}"),
                hard_fail_cell(row.hard_fail),
            ]
        )
    columns = [
        Column("rank", numeric=True),
        Column("implementation"),
        Column("composite", "peer spec median + peer quality median", numeric=True),
        Column("spec (peer)", "median over peer reviews, 0-10", numeric=True),
        Column("quality (peer)", "median over peer reviews, 0-20", numeric=True),
    ]
    if has_expert:
        columns += [Column("spec (expert)", numeric=True), Column("quality (expert)", numeric=True)]
    columns += [
        Column("spec (all)", "median over all non-self reviews", numeric=True),
        Column("quality (all)", numeric=True),
        Column("hidden tests", "passed/total", numeric=True),
        Column("verdict", "most common verdict over all reviews, self included"),
        Column("hard-fail gates", "passed when every review that gave a verdict passed them"),
    ]
    return Table(caption="Scoreboard", columns=columns, rows=rows, sortable=True)


def strictness_table(facts: BuildFacts) -> Table:
    top_pick = {row.judge: row.first for row in facts.round.judge_ranking}
    rows = []
    for judge in facts.judges:
        given = facts.peer_reviews_by(judge)
        differences = []
        for impl in facts.impls:
            own = facts.review(judge, impl)
            others = [r.spec for j in facts.judges if j not in (judge, impl) and (r := facts.review(j, impl)) is not None]
            if own is not None and impl != judge and others:
                differences.append(own.spec - sum(others) / len(others))
        packet = facts.reviews.get(judge)
        status = cell(f"dropped out: {packet.error}", css="bad") if packet is not None and packet.error else cell("")
        delta = mean_or_none(differences)
        rows.append(
            [
                cell(facts.label(judge).name, judge),
                number_cell(len(given), 0),
                number_cell(mean_or_none([r.spec for r in given]), css="strong"),
                number_cell(mean_or_none([r.quality for r in given])),
                TableCell(text=signed(delta), css="num", sort="" if delta is None else repr(delta)),
                cell(top_pick.get(judge)),
                status,
            ]
        )
    columns = [
        Column("judge"),
        Column("reviews of others", numeric=True),
        Column("mean spec given", numeric=True),
        Column("mean quality given", numeric=True),
        Column("spec vs. other judges", "mean of (this judge's spec - other non-self judges' mean); negative = stricter", numeric=True),
        Column("top pick", "the judge's highest spec score, self included"),
        Column("status"),
    ]
    return Table(caption="Judge strictness", columns=columns, rows=rows, sortable=True)


def self_bias_table(facts: BuildFacts) -> Table:
    rows = [
        [
            cell(facts.label(row.impl).name, row.impl),
            number_cell(row.self_spec),
            number_cell(row.peer_med_spec),
            TableCell(text=signed(row.delta_spec), css="num strong"),
            number_cell(row.self_qual),
            number_cell(row.peer_med_qual),
            TableCell(text=signed(row.delta_qual), css="num"),
        ]
        for row in facts.round.self_bias
    ]
    columns = [
        Column("implementation"),
        Column("self spec", numeric=True),
        Column("peer median spec", numeric=True),
        Column("spec delta", numeric=True),
        Column("self quality", numeric=True),
        Column("peer median quality", numeric=True),
        Column("quality delta", numeric=True),
    ]
    return Table(caption="Self-bias (own review vs. peers)", columns=columns, rows=rows, sortable=True)


def agreement_table(facts: BuildFacts) -> Table:
    rows = [
        [
            cell(facts.label(row.impl).name, row.impl),
            number_cell(row.min_spec),
            number_cell(row.max_spec),
            number_cell(row.spec_range, css="strong"),
            number_cell(row.stdev),
            cell(row.judges, css="small"),
        ]
        for row in facts.round.agreement
    ]
    columns = [
        Column("implementation"),
        Column("min spec", numeric=True),
        Column("max spec", numeric=True),
        Column("range", numeric=True),
        Column("stdev", "sample standard deviation", numeric=True),
        Column("judges"),
    ]
    return Table(caption="Judge agreement on spec (self included)", columns=columns, rows=rows, sortable=True)


def cost_efficiency_table(facts: BuildFacts) -> Table:
    rows = [
        [
            cell(facts.label(row.impl).name, row.impl),
            cell(row.model_slug.strip("`"), css="code"),
            number_cell(row.loc, 0),
            cell(row.wall_clock, css="num"),
            number_cell(row.tokens, 0),
            cell(usd(row.cost_usd), css="num"),
            cell(row.tests_passed, css="num"),
            cell(row.cost_per_test, css="num"),
        ]
        for row in facts.round.cost_efficiency
    ]
    columns = [
        Column("implementation"),
        Column("model"),
        Column("lines", "non-blank, non-comment lines of the entrypoint", numeric=True),
        Column("wall clock", numeric=True),
        Column("tokens", numeric=True),
        Column("cost", numeric=True),
        Column("tests passed", numeric=True),
        Column("cost per passed test", numeric=True),
    ]
    return Table(caption="Cost efficiency (the reviewed sample)", columns=columns, rows=rows, sortable=True)
