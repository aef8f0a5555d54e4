"""Group stage on synthetic tables: clustering, contrasts, subjects' status, group estimate, report."""
import mne
import numpy as np
import pandas as pd
import pytest

from tfmxne_workflow import atomic
from tfmxne_workflow.stages import group, group_report

#: Two regions (MNI mm) and their peak latency (s) in conditions A and B: B is 30 ms later in lh.
REGIONS = {"lh": ((-50.0, -22.0, 6.0), 0.100, 0.130), "rh": ((40.0, -80.0, 4.0), 0.150, 0.150)}


def _tables(rng, n_subjects=8, condition="A", jitter_mm=3.0, latency_jitter_s=0.008, extra=True):
    """Per subject, one source per region (and for some a weaker neighbour)."""
    tables = {}
    for s in range(n_subjects):
        rows = []
        for hemi, (centre, t_a, t_b) in REGIONS.items():
            for k in range(2 if extra and s % 3 == 0 else 1):
                xyz = np.asarray(centre) + rng.normal(0, jitter_mm, 3)
                rows.append({
                    "condition": condition, "hemi": hemi, "vertex": 100 * s + k, "fsaverage_vertex": 100 * s + k,
                    "x_mni": xyz[0], "y_mni": xyz[1], "z_mni": xyz[2],
                    "peak_time_s": (t_a if condition == "A" else t_b) + rng.normal(0, latency_jitter_s),
                    "peak_amplitude_nAm": 40.0 - 20 * k + rng.normal(0, 3), "peak_frequency_hz": 18.75,
                    "converged": True,
                })
        tables[f"sub-{s:02d}"] = pd.DataFrame(rows)
    return tables


def _clustered(tables, cluster_mm=20.0, min_subjects=2):
    return group.cluster_sources(group.pool_sources(tables), cluster_mm, min_subjects)


def test_each_region_is_one_cluster_of_every_subject_near_its_centre():
    pooled, clusters = _clustered(_tables(np.random.default_rng(0)))
    assert len(clusters) == 2, clusters
    assert list(clusters.columns) == group.CLUSTER_COLUMNS
    for _, row in clusters.iterrows():
        centre = np.asarray(REGIONS[row["hemi"]][0])
        assert row["n_subjects"] == 8
        assert np.linalg.norm(row[group.MNI].to_numpy(float) - centre) < 3.0
        assert row["spread_mm"] < 8.0
        assert row["peak_time_s"] == pytest.approx(REGIONS[row["hemi"]][1], abs=0.01)
    # a subject with two sources in a cluster counts once: by its strongest
    reps = pooled[pooled["representative"]]
    assert not reps.duplicated(["subject", "cluster"]).any()
    doubles = pooled[pooled["subject"] == "sub-00"]
    assert len(doubles) == 4 and doubles["representative"].sum() == 2
    strongest = doubles.loc[doubles.groupby("hemi")["peak_amplitude_nAm"].idxmax()]
    assert strongest["representative"].all()


def test_clusters_are_ordered_by_subjects_then_amplitude_and_small_ones_dropped():
    tables = _tables(np.random.default_rng(1), extra=False)
    for s in range(3):  # a third region seen in 3 subjects only
        t = tables[f"sub-{s:02d}"]
        tables[f"sub-{s:02d}"] = pd.concat([t, t.iloc[[0]].assign(y_mni=40.0, peak_amplitude_nAm=90.0)])
    pooled, clusters = _clustered(tables, min_subjects=2)
    assert clusters["n_subjects"].tolist() == [8, 8, 3]
    assert clusters["cluster"].tolist() == [1, 2, 3]
    assert clusters["peak_amplitude_nAm"].iloc[0] >= clusters["peak_amplitude_nAm"].iloc[1]
    pooled, clusters = _clustered(tables, min_subjects=4)
    assert clusters["n_subjects"].tolist() == [8, 8]
    assert pooled["cluster"].isna().sum() == 3 and not pooled["representative"][pooled["cluster"].isna()].any()


def test_sources_far_apart_or_across_the_midline_are_not_merged():
    rng = np.random.default_rng(2)
    tables = _tables(rng, extra=False)
    for rid, t in tables.items():  # a medial lh source 4 mm from a medial rh one
        medial = t.iloc[[0, 0]].assign(x_mni=[-2.0, 2.0], y_mni=-60.0, z_mni=20.0, hemi=["lh", "rh"])
        tables[rid] = pd.concat([t, medial])
    _, clusters = _clustered(tables)
    assert len(clusters) == 4 and set(clusters["hemi"]) == {"lh", "rh"}
    assert (clusters["n_subjects"] == 8).all()


def test_contrast_finds_the_latency_shift_in_one_region_only():
    rng = np.random.default_rng(3)
    a, b = _clustered(_tables(rng, condition="A")), _clustered(_tables(rng, condition="B"))
    table = group.contrasts({"A": a, "B": b}, 20.0)
    assert list(table.columns) == group.CONTRAST_COLUMNS
    latency = table[table["measure"] == "peak_time_s"].set_index("hemi")
    assert set(latency.index) == {"lh", "rh"} and (latency["n"] == 8).all()
    assert latency.loc["lh", "mean_diff"] == pytest.approx(0.030, abs=0.008)
    assert latency.loc["lh", "p"] < 0.05
    assert latency.loc["rh", "p"] > 0.05
    # equal frequencies everywhere: no variance, no test
    freq = table[table["measure"] == "peak_frequency_hz"]
    assert (freq["mean_diff"] == 0).all() and freq["p"].isna().all()


def test_matching_needs_nearby_centroids_in_the_same_hemisphere():
    clusters_a = pd.DataFrame({"cluster": [1, 2], "hemi": ["lh", "rh"], "x_mni": [-50.0, 40.0],
                               "y_mni": [-20.0, -80.0], "z_mni": [5.0, 5.0]})
    clusters_b = clusters_a.assign(x_mni=[-45.0, -40.0], hemi=["lh", "lh"])
    pairs = group.match_clusters(clusters_a, clusters_b, 20.0)
    assert pairs == [(0, 0, pytest.approx(5.0))]


def test_paired_test_counts_only_subjects_with_both():
    out = group.paired_test(np.array([0.1, 0.1, np.nan, 0.12]), np.array([0.13, 0.135, 0.2, 0.15]))
    assert out["n"] == 3 and out["mean_diff"] == pytest.approx(np.mean([0.03, 0.035, 0.03]))
    assert out["p"] < 0.01
    assert np.isnan(group.paired_test(np.array([0.1]), np.array([0.2]))["p"])


def _stc(rid_index, table, n_times=30, tmin=-0.05, tstep=0.01):
    """A recording's estimate with one bump per source of its table."""
    vertices = [np.sort(table.loc[table["hemi"] == h, "vertex"].to_numpy(int)) for h in ("lh", "rh")]
    data = np.zeros((sum(map(len, vertices)), n_times))
    data[:, 10 + rid_index % 5] = 1e-8
    return mne.SourceEstimate(data, vertices, tmin, tstep)


def test_group_estimate_has_one_vertex_per_source_and_reads_back(tmp_path):
    tables = _tables(np.random.default_rng(4), n_subjects=3, extra=False)
    tables["sub-01"] = tables["sub-01"].assign(fsaverage_vertex=tables["sub-00"]["fsaverage_vertex"].to_numpy())
    pooled, _ = _clustered(tables)
    stcs = {rid: _stc(i, t) for i, (rid, t) in enumerate(tables.items())}
    timecourses = group.source_timecourses(pooled, stcs)
    stc = group.group_stc(pooled, timecourses, -0.05, 0.01)
    atomic.save_stc(stc, tmp_path / "g-lh.stc")
    back = mne.read_source_estimate(tmp_path / "g-lh.stc")
    assert [len(v) for v in back.vertices] == [2, 2]  # sub-00 and sub-01 share their vertices
    shared = np.flatnonzero(back.vertices[0] == tables["sub-00"]["fsaverage_vertex"].iloc[0])[0]
    np.testing.assert_allclose(back.data[shared], (stcs["sub-00"].data[0] + stcs["sub-01"].data[0]) / 2, rtol=1e-5)


def test_different_time_axes_are_a_clear_error():
    tables = _tables(np.random.default_rng(5), n_subjects=2, extra=False)
    pooled = group.pool_sources(tables)
    stcs = {"sub-00": _stc(0, tables["sub-00"]), "sub-01": _stc(1, tables["sub-01"], tstep=0.005)}
    with pytest.raises(ValueError, match="different time axes"):
        group.source_timecourses(pooled, stcs)


@pytest.fixture
def faulty_study():
    """6 subjects: sub-03 has no active source, sub-04 did not converge, sub-05 lacks condition B."""
    rng = np.random.default_rng(6)
    conditions = {}
    for cond in ("A", "B"):
        tables = _tables(rng, n_subjects=6, condition=cond, extra=False)
        tables["sub-03"] = tables["sub-03"].iloc[:0]
        tables["sub-04"] = tables["sub-04"].assign(converged=False)
        if cond == "B":
            del tables["sub-05"]
        records = {rid: {"converged": rid != "sub-04"} for rid in tables}
        pooled, clusters = _clustered(tables)
        status = group.subject_status([f"sub-{s:02d}" for s in range(6)], tables, records, pooled)
        conditions[cond] = dict(tables=tables, pooled=pooled, clusters=clusters, subjects=status,
                                stcs={rid: _stc(i, t) for i, (rid, t) in enumerate(tables.items())})
    return conditions


def test_faulty_subjects_are_named_and_the_others_still_cluster(faulty_study):
    a, b = faulty_study["A"], faulty_study["B"]
    status = b["subjects"].set_index("subject")["status"]
    assert status.to_dict() == {"sub-00": "ok", "sub-01": "ok", "sub-02": "ok", "sub-03": "no active source",
                                "sub-04": "not converged", "sub-05": "condition missing"}
    assert (a["clusters"]["n_subjects"] == 5).all() and (b["clusters"]["n_subjects"] == 4).all()
    assert (b["clusters"]["n_not_converged"] == 1).all()
    table = group.contrasts({"A": (a["pooled"], a["clusters"]), "B": (b["pooled"], b["clusters"])}, 20.0)
    assert (table["n"] == 4).all()


def test_group_report_says_which_subjects_are_missing_and_links_reports(faulty_study, tmp_path):
    conditions = [
        {"trial_type": name, "clusters": c["clusters"], "sources": c["pooled"], "subjects": c["subjects"],
         "stcs": c["stcs"], "signed_stcs": c["stcs"], "fmin": 3.0, "fmax": 45.0}
        for name, c in faulty_study.items()
    ]
    contrasts = group.contrasts({c["trial_type"]: (c["sources"], c["clusters"]) for c in conditions}, 20.0)
    reports = [tmp_path / "sub-00" / "meg" / "sub-00_task-x_report.html"]
    html_file = tmp_path / "group" / "task-x_report.html"
    report = group_report.build_report("group", conditions, contrasts, reports, html_file, 2)
    html_file.parent.mkdir()
    atomic.save_report(report, html_file)
    text = html_file.read_text()
    for needle in ("sub-03 have no active source", "sub-04 kept, their solve did not converge",
                   "sub-05 have no trials of it", "../sub-00/meg/sub-00_task-x_report.html",
                   "Conditions compared", "A: where (glass brain, by cluster)", "B: mean time-frequency maps",
                   "p chance: how often a cluster", "p_holm"):
        assert needle in text, needle
