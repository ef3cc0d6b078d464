"""The held-out template split: seeded, stratified by domain, capacity-aware, disjoint."""

from __future__ import annotations

from pathlib import Path

import pytest

from orchestrl.errors import ConfigError
from orchestrl.plugins.synthesis.split import split_templates, stratum
from orchestrl.plugins.synthesis.template import function_domains, load_template_file
from orchestrl.plugins.worlds.booking.data import load_tools


@pytest.fixture(scope="module")
def shipped(booking_dir: Path):
    return load_template_file(booking_dir), function_domains(load_tools(booking_dir).values())


def _capacity(templates, n: int = 10) -> dict[str, int]:
    return {t.id: (i % 7) * n for i, t in enumerate(templates)}


def test_split_is_disjoint_complete_and_deterministic(shipped) -> None:
    templates, domains = shipped
    capacity = _capacity(templates)
    split = split_templates(templates, capacity, domains, seed=0, heldout_share=0.5,
                            per_template=40)
    assert not set(split.train) & set(split.heldout)
    assert set(split.train) | set(split.heldout) == {t.id for t in templates}
    again = split_templates(templates, capacity, domains, seed=0, heldout_share=0.5,
                            per_template=40)
    assert again == split
    other = split_templates(templates, capacity, domains, seed=1, heldout_share=0.5,
                            per_template=40)
    assert other.heldout != split.heldout


def test_every_stratum_gives_its_share_of_capped_capacity(shipped) -> None:
    templates, domains = shipped
    capacity = _capacity(templates)
    split = split_templates(templates, capacity, domains, seed=3, heldout_share=0.6,
                            per_template=40)
    by_id = {t.id: t for t in templates}
    for name, counts in split.strata.items():
        members = [t for t in templates if stratum(t, domains) == name]
        eligible = [t for t in members if 2 <= t.n_steps <= 6 and capacity[t.id] > 0]
        total = sum(min(capacity[t.id], 40) for t in eligible)
        held = sum(min(capacity[i], 40) for i in split.heldout if by_id[i] in members)
        assert held == counts["heldout_capacity"]
        if total:
            assert held >= 0.6 * total  # filled up to the share ...
            largest = max(min(capacity[t.id], 40) for t in eligible)
            assert held < 0.6 * total + largest  # ... and not one template beyond it


def test_templates_outside_the_step_range_or_without_instances_always_train(shipped) -> None:
    templates, domains = shipped
    capacity = _capacity(templates)
    split = split_templates(templates, capacity, domains, seed=0, heldout_share=0.9,
                            per_template=40, min_steps=2, max_steps=6)
    for template in templates:
        if not 2 <= template.n_steps <= 6 or capacity[template.id] == 0:
            assert template.id in split.train


def test_bad_share_or_cap_is_a_config_error(shipped) -> None:
    templates, domains = shipped
    with pytest.raises(ConfigError, match="heldout_share must be between 0 and 1, got 1.5"):
        split_templates(templates, {}, domains, seed=0, heldout_share=1.5, per_template=4)
    with pytest.raises(ConfigError, match="per_template must be at least 1, got 0"):
        split_templates(templates, {}, domains, seed=0, heldout_share=0.5, per_template=0)
