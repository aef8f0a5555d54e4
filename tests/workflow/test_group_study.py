"""A simulated 6-subject study end to end: the same two regions in every subject (position
and latency jitter), the left one 30 ms later in condition B (visual) than in A (auditory).

The group stage clusters stable sources only (``stability.threshold``, 0.9 by default): a
subject whose source of a region is less stable is found in its own table but not counted in
the cluster, so clusters have 4 to 6 of the 6 subjects.
"""
import mne
import numpy as np
import pandas as pd
import pytest
from conftest import run_snakemake, write_demo_config

pytestmark = pytest.mark.slow

N_SUBJECTS = 6


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    from tfmxne_simulation.demo import GROUP_SPECS, make_demo_dataset

    workdir = tmp_path_factory.mktemp("group_study")
    bids_root = workdir / "bids"
    make_demo_dataset(bids_root, n_subjects=N_SUBJECTS, seed=1, n_trials=24, specs=GROUP_SPECS)
    configfile = write_demo_config(workdir / "config.yaml", bids_root)
    run_snakemake("--cores", "2", "--configfile", str(configfile), workdir=workdir)
    truth = pd.concat([pd.read_csv(f, sep="\t").assign(subject=f.parent.name)
                       for f in sorted((bids_root / "derivatives" / "simulation").glob("sub-*/*_sources.tsv"))])
    deriv = bids_root / "derivatives" / "tfmxne"
    return {"deriv": deriv, "group": deriv / "group", "truth": truth}


def _read(path):
    return pd.read_csv(path, sep="\t", na_values="n/a", keep_default_na=False)


@pytest.mark.parametrize("condition", ["auditory", "visual"])
def test_both_regions_are_clusters_of_most_subjects_near_the_truth(study, condition):
    clusters = _read(study["group"] / f"task-demo_desc-{condition}_clusters.tsv")
    truth = study["truth"][study["truth"]["condition"] == condition]
    for hemi, region in truth.groupby("hemi"):
        centre = region[["x_mm", "y_mm", "z_mm"]].to_numpy(float).mean(axis=0)  # template: MRI = MNI
        mine = clusters[clusters["hemi"] == hemi]
        dist = np.linalg.norm(mine[["x_mni", "y_mni", "z_mni"]].to_numpy(float) - centre, axis=1)
        best = mine.iloc[int(np.argmin(dist))]
        assert best["n_subjects"] >= 4, (hemi, clusters)
        assert dist.min() < 10.0, (hemi, dist, clusters)
        assert best["p_chance"] < 0.05, (hemi, clusters)  # not a chance coincidence of 4+ subjects
        assert best["stability_median"] >= 0.9, (hemi, clusters)
        # each subject's own table has the region (within 10 mm of its true source)
        found = 0
        for subject, true in region.groupby("subject"):
            table = _read(next(study["deriv"].glob(f"{subject}/meg/*_desc-{condition}_sources.tsv")))
            xyz = table[table["hemi"] == hemi][["x_mm", "y_mm", "z_mm"]].to_numpy(float)
            found += bool(len(xyz)) and np.linalg.norm(xyz - true[["x_mm", "y_mm", "z_mm"]].to_numpy(float)[0],
                                                       axis=1).min() <= 10.0
        assert found >= 5, (hemi, condition, found)


def test_the_latency_difference_is_found_in_the_left_region_only(study):
    contrasts = _read(study["group"] / "task-demo_contrasts.tsv")
    latency = contrasts[contrasts["measure"] == "peak_time_s"]
    strongest = latency.sort_values("n", ascending=False).drop_duplicates("hemi").set_index("hemi")
    assert (strongest["n"] >= 4).all(), latency
    assert strongest.loc["lh", "p"] < 0.05, latency
    assert strongest.loc["lh", "mean_diff"] == pytest.approx(0.03, abs=0.012), latency
    assert not (latency.loc[latency["hemi"] == "rh", "p"] < 0.05).any(), latency
    tested = contrasts["p"].notna()
    assert (contrasts.loc[tested, "p_holm"] >= contrasts.loc[tested, "p"]).all(), contrasts


def test_sources_tables_have_the_common_space_and_frequency_columns(study):
    table = pd.concat([_read(f) for f in study["deriv"].glob("sub-*/meg/*_sources.tsv")])
    assert (table["fsaverage_vertex"] == table["vertex"]).all()  # template: identity
    # the common space is the strongest vertex's (the same place for one vertex; within the
    # source's extent of its weighted position for several)
    mni, mm = table[["x_mni", "y_mni", "z_mni"]].to_numpy(float), table[["x_mm", "y_mm", "z_mm"]].to_numpy(float)
    single = (table["n_vertices"] == 1).to_numpy()
    np.testing.assert_allclose(mni[single], mm[single], atol=1e-3)
    assert (np.linalg.norm(mni - mm, axis=1) <= table["extent_mm"].to_numpy(float) + 1e-3).all()
    resolution = 300.0 / 16  # sfreq / wsize: the solver's dictionary grid, kept apart
    np.testing.assert_allclose(table["dictionary_frequency_hz"] / resolution,
                               np.round(table["dictionary_frequency_hz"] / resolution))


@pytest.mark.parametrize("condition", ["auditory", "visual"])
def test_each_region_is_reported_at_its_frequency(study, condition):
    """11 Hz on the left, 22 Hz on the right: the clusters' median frequencies within 2 Hz."""
    clusters = _read(study["group"] / f"task-demo_desc-{condition}_clusters.tsv")
    truth = study["truth"][study["truth"]["condition"] == condition]
    for hemi, region in truth.groupby("hemi"):
        best = clusters[clusters["hemi"] == hemi].sort_values("n_subjects").iloc[-1]
        assert abs(best["peak_frequency_hz"] - region["freq_hz"].iloc[0]) <= 2.0, (hemi, best.to_dict())
        assert best["n_oscillatory"] >= 4 and best["peak_frequency_iqr_hz"] < 2.0, best.to_dict()


def test_group_estimate_and_report(study):
    pooled = _read(study["group"] / "task-demo_desc-visual_sources.tsv")
    stc = mne.read_source_estimate(study["group"] / "task-demo_desc-visual_tfmxne-lh.stc")
    for h, hemi in enumerate(("lh", "rh")):
        expected = np.unique(pooled.loc[pooled["hemi"] == hemi, "fsaverage_vertex"])
        np.testing.assert_array_equal(stc.vertices[h], expected)
    html = (study["group"] / "task-demo_report.html").read_text()
    for needle in ("visual: where (glass brain, by cluster)", "auditory: time courses across subjects",
                   "visual: mean time-frequency maps", "Conditions compared", "sub-06_task-demo_report.html"):
        assert needle in html, needle
    assert "group/task-demo_report.html" in (study["deriv"] / "study_summary.html").read_text()
