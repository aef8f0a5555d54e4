"""Group clusters' chance level (spatial permutations), the stability filter, Holm-corrected contrasts."""
import numpy as np
import pandas as pd
import pytest

from tfmxne_workflow.stages import common_space, group, group_report

FSAVERAGE = common_space.read_fsaverage()  # the packaged fsaverage5


def _source(hemi, xyz, vertex=0, **extra):
    return {"condition": "A", "hemi": hemi, "vertex": vertex, "fsaverage_vertex": vertex,
            "x_mni": xyz[0], "y_mni": xyz[1], "z_mni": xyz[2], "peak_time_s": 0.1,
            "peak_amplitude_nAm": 20.0, "peak_frequency_hz": np.nan, "converged": True, **extra}


def _random_sources(rng, n):
    """``n`` sources at random fsaverage5 vertices of random hemispheres."""
    rows = []
    for hemi in rng.choice(["lh", "rh"], n):
        vertex = int(rng.integers(len(FSAVERAGE[hemi][0])))
        rows.append(_source(hemi, FSAVERAGE[hemi][0][vertex], vertex))
    return rows


def _study(rng, n_subjects, n_random, common=None, jitter_mm=2.5):
    """Per subject ``n_random`` random sources, and one near ``common`` (lh MNI mm) if given."""
    tables = {}
    for s in range(n_subjects):
        rows = _random_sources(rng, n_random)
        if common is not None:
            rows.append(_source("lh", np.asarray(common) + rng.normal(0, jitter_mm, 3)))
        tables[f"sub-{s:02d}"] = pd.DataFrame(rows)
    return group.pool_sources(tables)


def test_random_sources_give_no_cluster_beyond_chance_in_95_percent_of_studies():
    false_alarms = 0
    for seed in range(40):
        pooled = _study(np.random.default_rng(seed), n_subjects=15, n_random=3)
        _, clusters = group.cluster_sources(pooled, 20.0, 2, fsaverage=FSAVERAGE, n_permutations=200)
        assert clusters["p_chance"].between(1 / 201, 1).all(), clusters
        false_alarms += bool((clusters["p_chance"] < 0.05).any())
    assert false_alarms <= 2, false_alarms


def test_a_source_every_subject_shares_is_a_cluster_far_beyond_chance():
    common = FSAVERAGE["lh"][0][5000]
    pooled = _study(np.random.default_rng(0), n_subjects=15, n_random=2, common=common)
    _, clusters = group.cluster_sources(pooled, 20.0, 2, fsaverage=FSAVERAGE, n_permutations=200)
    dist = np.linalg.norm(clusters[group.MNI].to_numpy(float) - common, axis=1)
    shared = clusters.iloc[int(np.argmin(dist))]
    assert dist.min() < 5.0 and shared["n_subjects"] >= 14, clusters
    assert shared["p_chance"] < 0.01, clusters
    others = clusters.drop(index=shared.name)
    assert (others["p_chance"] > shared["p_chance"]).all(), clusters


def test_draws_keep_each_hemisphere_s_subjects_and_are_seeded():
    """With a cut wider than the brain, a hemisphere is one cluster: its number of subjects."""
    rng = np.random.default_rng(1)
    tables = {f"sub-{s}": pd.DataFrame(_random_sources(rng, 4)).assign(hemi="lh") for s in range(5)}
    tables |= {f"sub-{s}": pd.DataFrame(_random_sources(rng, 2)).assign(hemi="rh") for s in range(5, 8)}
    pooled = group.pool_sources(tables)
    np.testing.assert_array_equal(group.max_cluster_null(pooled, FSAVERAGE, 1e4, 50), np.full(50, 5))
    null = group.max_cluster_null(pooled, FSAVERAGE, 20.0, 50)
    np.testing.assert_array_equal(null, group.max_cluster_null(pooled, FSAVERAGE, 20.0, 50))
    assert null.max() <= 5


def test_no_permutations_give_n_a():
    pooled = _study(np.random.default_rng(2), n_subjects=6, n_random=1, common=(-40.0, -20.0, 10.0))
    for kwargs in ({"fsaverage": FSAVERAGE, "n_permutations": 0}, {}):
        _, clusters = group.cluster_sources(pooled, 20.0, 2, **kwargs)
        assert len(clusters) and clusters["p_chance"].isna().all(), clusters


def test_unstable_sources_are_left_out_and_the_members_stability_summarised():
    tables = {}
    for s in range(6):  # sub-04 and sub-05 unstable; sub-03's stability unknown (kept)
        stability = {3: np.nan, 4: 0.2, 5: 0.3}.get(s, 0.6 + 0.1 * s)
        tables[f"sub-{s:02d}"] = pd.DataFrame([_source("lh", (-40.0 + s, -20.0, 10.0), stability=stability)])
    pooled = group.pool_sources(tables)
    assert "stability" in pooled
    pooled, clusters = group.cluster_sources(pooled, 20.0, 2, min_stability=0.5)
    assert clusters["n_subjects"].tolist() == [4]
    assert clusters["stability_median"].iloc[0] == pytest.approx(np.median([0.6, 0.7, 0.8]))
    assert pooled.loc[pooled["stability"] < 0.5, "cluster"].isna().all()
    _, clusters = group.cluster_sources(pooled, 20.0, 2)
    assert clusters["n_subjects"].tolist() == [6]
    assert "stability (median)" in group_report._clusters_shown(clusters)
    _, clusters = group.cluster_sources(pooled.drop(columns="stability"), 20.0, 2, min_stability=0.5)
    assert clusters["n_subjects"].tolist() == [6] and clusters["stability_median"].isna().all()
    assert "stability (median)" not in group_report._clusters_shown(clusters)


def _holm_by_definition(p):
    """Holm's adjusted p-values from the ranks, loop by loop.

    For each p_i the largest ``(m - #{p_k < p_j}) p_j`` over ``p_j <= p_i``, at most 1;
    n/a left out.
    """
    finite = [x for x in p if not np.isnan(x)]
    m = len(finite)
    out = []
    for pi in p:
        if np.isnan(pi):
            out.append(np.nan)
            continue
        worst = 0.0
        for pj in finite:
            if pj <= pi:
                smaller = sum(1 for pk in finite if pk < pj)
                worst = max(worst, (m - smaller) * pj)
        out.append(min(1.0, worst))
    return np.array(out)


def _holm_rejects(p, alpha):
    """Holm's step-down procedure at ``alpha``: which hypotheses it rejects."""
    finite = sorted((x, i) for i, x in enumerate(p) if not np.isnan(x))
    rejected = np.zeros(len(p), bool)
    for rank, (x, i) in enumerate(finite):
        if x > alpha / (len(finite) - rank):
            break
        rejected[i] = True
    return rejected


P_VALUES = np.array([0.01, 0.04, np.nan, 0.03, 0.01, 0.2, np.nan, 0.004, 0.04, 0.9, 0.5, 0.0002])


def test_holm_matches_the_textbook_definition_and_procedure():
    adjusted = group.holm(P_VALUES)
    np.testing.assert_allclose(adjusted, _holm_by_definition(P_VALUES), rtol=1e-12)
    for alpha in np.random.default_rng(0).uniform(0, 1, 200):
        np.testing.assert_array_equal(adjusted <= alpha, _holm_rejects(P_VALUES, alpha), err_msg=str(alpha))
    assert group.holm(np.array([])).shape == (0,)


def test_contrasts_correct_every_row_of_the_table_at_once():
    rng = np.random.default_rng(3)
    conditions = {}
    for name in ("A", "B", "C"):
        tables = {f"sub-{s:02d}": pd.DataFrame([
            _source(hemi, np.asarray(centre) + rng.normal(0, 2, 3), peak_time_s=rng.normal(0.1, 0.01),
                    peak_amplitude_nAm=rng.uniform(10, 50))
            for hemi, centre in (("lh", (-50.0, -20.0, 5.0)), ("rh", (40.0, -80.0, 5.0)))])
            for s in range(6)}
        conditions[name] = group.cluster_sources(group.pool_sources(tables), 20.0, 2)
    table = group.contrasts(conditions, 20.0)
    assert list(table.columns) == group.CONTRAST_COLUMNS
    assert len(table) == 3 * 2 * len(group.MEASURES) and table["p"].isna().sum() == 3 * 2  # frequencies n/a
    np.testing.assert_allclose(table["p_holm"], _holm_by_definition(table["p"].to_numpy(float)), rtol=1e-12)
