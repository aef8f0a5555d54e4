"""Group stage: every subject's sources pooled on fsaverage, clustered, compared across conditions.

A sparse estimate has a handful of sources per subject, not a map, so the group question
is *which sources recur across subjects*: sources are clustered on their MNI305
positions (average linkage, one hemisphere at a time, a subject at most once per
cluster) and each cluster summarised by the medians of its subjects. A cluster's
chance level (``p_chance``) comes from spatial permutations: how often randomly placed
sources give a cluster of as many subjects. Clusters of two conditions that lie within
the same distance are matched, and their subjects' peak latency, amplitude and
frequency compared pairwise (paired t-tests, Holm-corrected over the table).
"""
from __future__ import annotations

import numpy as np
import pandas as pd
from scipy import stats
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.optimize import linear_sum_assignment

MNI = ["x_mni", "y_mni", "z_mni"]
#: Columns of ``desc-<cond>_clusters.tsv`` in order.
CLUSTER_COLUMNS = [
    "cluster", "n_subjects", "p_chance", "subjects", "x_mni", "y_mni", "z_mni", "spread_mm", "peak_time_s",
    "peak_time_iqr_s", "peak_frequency_hz", "peak_frequency_iqr_hz", "n_oscillatory",
    "peak_amplitude_nAm", "hemi", "n_not_converged", "stability_median",
]
#: Columns of the pooled ``desc-<cond>_sources.tsv`` in order (``stability`` only when the
#: subjects' sources tables have it).
POOLED_COLUMNS = [
    "subject", "condition", "hemi", "vertex", "fsaverage_vertex", *MNI, "peak_time_s",
    "peak_amplitude_nAm", "peak_frequency_hz", "converged", "stability", "cluster", "representative",
]
#: Columns of ``desc-<cond>_subjects.tsv`` in order.
SUBJECT_COLUMNS = ["subject", "status", "n_sources", "n_clustered", "converged"]
#: What the contrasts compare, per subject.
MEASURES = ("peak_time_s", "peak_amplitude_nAm", "peak_frequency_hz")
#: Columns of ``contrasts.tsv`` in order.
CONTRAST_COLUMNS = [
    "condition_a", "condition_b", "cluster_a", "cluster_b", "hemi", *MNI, "distance_mm",
    "measure", "n", "median_a", "median_b", "mean_diff", "sd_diff", "t", "p", "p_holm",
]
#: Seed of the spatial permutations: the same study always gets the same ``p_chance``.
SEED = 25


def pool_sources(tables: dict) -> pd.DataFrame:
    """One table of every recording's sources, ``subject`` the recording (``sub-XX[_ses-YY]``).

    Parameters
    ----------
    tables : dict
        Recording id -> its ``*_sources.tsv`` (DataFrame with the common-space columns).
    """
    frames = [t.assign(subject=rid) for rid, t in tables.items() if len(t)]
    if not frames:
        return pd.DataFrame(columns=POOLED_COLUMNS).drop(columns="stability")
    pooled = pd.concat(frames, ignore_index=True)
    if pooled[MNI].isna().any().any():
        raise ValueError("some sources have no MNI coordinates (no common space): the group stage "
                         "needs forward.source template, freesurfer, or forward.subjects_dir")
    pooled = pooled.assign(cluster=pd.NA, representative=False)
    return pooled[[c for c in POOLED_COLUMNS if c in pooled]]


def cluster_labels(xyz, subjects, amplitude, cluster_mm) -> tuple[np.ndarray, np.ndarray]:
    """Cluster label (0, 1, ...) of each source of one hemisphere, and its representatives.

    The representatives are the sources that stand for their subject in their cluster.

    Average linkage on Euclidean distance, cut at ``cluster_mm``. A subject with several
    sources in one cluster (one activity split over neighbouring vertices) is
    represented there by its strongest: one subject counts once per cluster.
    """
    labels = (np.zeros(len(xyz), int) if len(xyz) < 2
              else fcluster(linkage(xyz, "average"), cluster_mm, "distance") - 1)
    representative = np.zeros(len(xyz), bool)
    order = np.lexsort((-amplitude, subjects, labels))  # per cluster and subject, strongest first
    first = np.r_[True, (np.diff(labels[order]) != 0) | (subjects[order][1:] != subjects[order][:-1])]
    representative[order[first]] = True
    return labels, representative


def cluster_sources(pooled, cluster_mm, min_subjects, min_stability=0.0, fsaverage=None,
                    n_permutations=0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Cluster the pooled sources of one condition and summarise each cluster.

    Parameters
    ----------
    pooled : DataFrame
        :func:`pool_sources`.
    cluster_mm : float
        Average-linkage cut (MNI mm).
    min_subjects : int
        Smallest cluster kept.
    min_stability : float
        Sources whose ``stability`` is lower are left out (n/a or no such column: kept).
    fsaverage : dict | None
        :func:`.common_space.read_fsaverage` of the fsaverage the sources were mapped to,
        for ``p_chance`` (:func:`max_cluster_null`); None: ``p_chance`` n/a.
    n_permutations : int
        Spatial permutations behind ``p_chance``; 0: n/a.

    Returns
    -------
    pooled : DataFrame
        The input with ``cluster`` filled in (n/a for sources left out or in clusters
        with fewer than ``min_subjects`` subjects) and ``representative`` (the subject's
        strongest source in its cluster: the one the cluster's statistics use).
    clusters : DataFrame
        :data:`CLUSTER_COLUMNS`, one row per cluster with at least ``min_subjects``
        subjects, ordered by ``n_subjects`` then ``peak_amplitude_nAm`` (both
        decreasing) and numbered 1, 2, ... in that order; medians over the subjects'
        representative sources.
    """
    pooled = pooled.copy()
    kept = stable(pooled, min_stability)
    raw = np.full(len(pooled), -1)
    representative = np.zeros(len(pooled), bool)
    offset = 0
    for hemi in ("lh", "rh"):
        rows = np.flatnonzero((pooled["hemi"].to_numpy() == hemi) & kept)
        if len(rows):
            lab, rep = cluster_labels(
                pooled[MNI].to_numpy(float)[rows], pooled["subject"].to_numpy(str)[rows],
                pooled["peak_amplitude_nAm"].to_numpy(float)[rows], cluster_mm)
            raw[rows], representative[rows] = lab + offset, rep
            offset += lab.max() + 1
    summaries = [{"raw": c, **_summary(pooled.iloc[np.flatnonzero((raw == c) & representative)])}
                 for c in range(offset)]
    clusters = pd.DataFrame([s for s in summaries if s["n_subjects"] >= min_subjects],
                            columns=["raw"] + [c for c in CLUSTER_COLUMNS[1:] if c != "p_chance"])
    clusters = clusters.sort_values(["n_subjects", "peak_amplitude_nAm"], ascending=False,
                                    ignore_index=True, kind="stable")
    clusters.insert(0, "cluster", np.arange(1, len(clusters) + 1))
    null = (max_cluster_null(pooled[kept], fsaverage, cluster_mm, n_permutations)
            if fsaverage is not None else np.zeros(0, int))
    clusters["p_chance"] = chance_level(clusters["n_subjects"].to_numpy(int), null)
    number = dict(zip(clusters["raw"], clusters["cluster"]))
    pooled["cluster"] = pd.array([number.get(c) for c in raw], dtype="Int64")
    pooled["representative"] = representative & pooled["cluster"].notna().to_numpy()
    return pooled, clusters.drop(columns="raw")[CLUSTER_COLUMNS]


def stable(pooled, min_stability) -> np.ndarray:
    """Which sources are clustered: ``stability`` at least ``min_stability``, or n/a, or no such column."""
    if "stability" not in pooled:
        return np.ones(len(pooled), bool)
    return ~(pooled["stability"].to_numpy(float) < min_stability)


def max_cluster_null(pooled, fsaverage, cluster_mm, n_permutations, seed=SEED) -> np.ndarray:
    """Largest cluster's number of subjects, over both hemispheres, in each spatial permutation.

    Each draw moves every source to a vertex of its hemisphere, drawn uniformly and
    independently among all vertices of fsaverage's white surface (medial wall included,
    as in the source spaces), so each subject keeps its number of sources per
    hemisphere. Uniform over the vertices is close to uniform over the cortical area on
    the icosahedral fsaverage5: a vertex stands for 4 to 9 mm² of white surface (10th to
    90th percentile, median 6.3 mm²). Each draw is clustered as the data are
    (:func:`cluster_labels`, ``cluster_mm``). Seeded (:data:`SEED`): the same sources
    give the same draws.

    Parameters
    ----------
    pooled : DataFrame
        The clustered sources (``subject``, ``hemi``).
    fsaverage : dict
        :func:`.common_space.read_fsaverage`: ``{hemi: (white_mm, sphere)}``.
    cluster_mm : float
    n_permutations : int

    Returns
    -------
    null : ndarray of int, shape (n_permutations,)
    """
    rng = np.random.default_rng(seed)
    null = np.zeros(n_permutations, int)
    for hemi in ("lh", "rh"):
        subjects = pooled.loc[pooled["hemi"] == hemi, "subject"].to_numpy(str)
        if not len(subjects):
            continue
        white = fsaverage[hemi][0]
        xyz = white[rng.integers(0, len(white), (n_permutations, len(subjects)))]
        for k in range(n_permutations):
            null[k] = max(null[k], _largest_cluster(xyz[k], subjects, cluster_mm))
    return null


def _largest_cluster(xyz, subjects, cluster_mm) -> int:
    """Number of subjects of the largest cluster (one hemisphere)."""
    labels, representative = cluster_labels(xyz, subjects, np.zeros(len(xyz)), cluster_mm)
    return int(np.bincount(labels[representative]).max())


def chance_level(n_subjects, null) -> np.ndarray:
    """``p_chance`` of clusters of ``n_subjects``: ``(1 + #(null >= n)) / (1 + len(null))``; n/a without draws.

    Against the largest cluster of each draw (max statistic), so it holds for all
    clusters of the condition at once.
    """
    if not len(null):
        return np.full(len(n_subjects), np.nan)
    exceed = (np.asarray(null)[None, :] >= np.asarray(n_subjects)[:, None]).sum(axis=1)
    return (1 + exceed) / (1 + len(null))


def _summary(members) -> dict:
    xyz = members[MNI].to_numpy(float)
    centroid = xyz.mean(axis=0)
    times = members["peak_time_s"].to_numpy(float)
    q1, q3 = np.percentile(times, [25, 75])
    return {
        "n_subjects": len(members), "subjects": ",".join(sorted(members["subject"])),
        **dict(zip(MNI, centroid)),
        "spread_mm": float(np.median(np.linalg.norm(xyz - centroid, axis=1))),
        "peak_time_s": float(np.median(times)), "peak_time_iqr_s": float(q3 - q1),
        **_frequency_summary(members["peak_frequency_hz"].to_numpy(float)),
        "peak_amplitude_nAm": float(members["peak_amplitude_nAm"].median()),
        "hemi": members["hemi"].iloc[0],
        "n_not_converged": int((~members["converged"].astype(bool)).sum()),
        "stability_median": float(members["stability"].median()) if "stability" in members else np.nan,
    }


def _frequency_summary(freqs) -> dict:
    """Median and IQR of the members' frequencies, over those with an oscillatory peak."""
    freqs = freqs[np.isfinite(freqs)]
    if not len(freqs):
        return {"peak_frequency_hz": np.nan, "peak_frequency_iqr_hz": np.nan, "n_oscillatory": 0}
    q1, q3 = np.percentile(freqs, [25, 75])
    return {"peak_frequency_hz": float(np.median(freqs)), "peak_frequency_iqr_hz": float(q3 - q1),
            "n_oscillatory": len(freqs)}


def subject_status(all_recordings, tables: dict, records: dict, pooled) -> pd.DataFrame:
    """One row per recording of the study: did it contribute to this condition, and how.

    ``status`` is ``ok``, ``not converged`` (kept), ``no active source`` or ``condition
    missing`` (the recording has no trials of it).
    """
    rows = []
    clustered = pooled[pooled["cluster"].notna()]["subject"].value_counts()
    for rid in all_recordings:
        if rid not in tables:
            rows.append({"subject": rid, "status": "condition missing", "n_sources": 0,
                         "n_clustered": 0, "converged": None})
            continue
        converged = bool(records[rid]["converged"])
        n = len(tables[rid])
        status = "no active source" if n == 0 else ("not converged" if not converged else "ok")
        rows.append({"subject": rid, "status": status, "n_sources": n,
                     "n_clustered": int(clustered.get(rid, 0)), "converged": converged})
    return pd.DataFrame(rows, columns=SUBJECT_COLUMNS)


def match_clusters(clusters_a, clusters_b, max_mm) -> list[tuple[int, int, float]]:
    """Pairs (row in a, row in b, distance mm) of clusters of two conditions.

    One-to-one, same hemisphere, centroids at most ``max_mm`` apart, total distance
    minimal (Hungarian assignment).
    """
    if not len(clusters_a) or not len(clusters_b):
        return []
    a, b = clusters_a[MNI].to_numpy(float), clusters_b[MNI].to_numpy(float)
    dist = np.linalg.norm(a[:, None] - b[None], axis=2)
    allowed = (dist <= max_mm) & (clusters_a["hemi"].to_numpy()[:, None] == clusters_b["hemi"].to_numpy()[None])
    cost = np.where(allowed, dist, 1e6)
    rows, cols = linear_sum_assignment(cost)
    return [(int(i), int(j), float(dist[i, j])) for i, j in zip(rows, cols) if allowed[i, j]]


def contrasts(conditions: dict, max_mm) -> pd.DataFrame:
    """Paired differences (b - a) between matched clusters of every pair of conditions.

    Parameters
    ----------
    conditions : dict
        Trial type -> (pooled sources with ``cluster``, clusters table), in the order
        that defines a and b.
    max_mm : float
        Largest centroid distance of matched clusters.

    Returns
    -------
    table : DataFrame
        :data:`CONTRAST_COLUMNS`: one row per matched pair and measure of
        :data:`MEASURES`, over the subjects in both clusters (``n``), with the paired
        t-test (``scipy.stats.ttest_rel``; ``t`` and ``p`` n/a when n < 2 or the
        differences do not vary) and ``p_holm`` (:func:`holm` over the whole table).
    """
    rows = []
    names = list(conditions)
    for i, name_a in enumerate(names):
        for name_b in names[i + 1:]:
            (pooled_a, clusters_a), (pooled_b, clusters_b) = conditions[name_a], conditions[name_b]
            for ia, ib, distance in match_clusters(clusters_a, clusters_b, max_mm):
                ca, cb = clusters_a.iloc[ia], clusters_b.iloc[ib]
                sa = _representatives(pooled_a, ca["cluster"])
                sb = _representatives(pooled_b, cb["cluster"])
                both = sorted(set(sa.index) & set(sb.index))
                centre = (ca[MNI].to_numpy(float) + cb[MNI].to_numpy(float)) / 2
                for measure in MEASURES:
                    rows.append({
                        "condition_a": name_a, "condition_b": name_b,
                        "cluster_a": int(ca["cluster"]), "cluster_b": int(cb["cluster"]),
                        "hemi": ca["hemi"], **dict(zip(MNI, centre)), "distance_mm": distance,
                        "measure": measure,
                        **paired_test(sa.loc[both, measure].to_numpy(float),
                                      sb.loc[both, measure].to_numpy(float)),
                    })
    table = pd.DataFrame(rows, columns=CONTRAST_COLUMNS)
    table["p_holm"] = holm(table["p"].to_numpy(float))
    return table


def holm(p) -> np.ndarray:
    """Holm-Bonferroni adjusted p-values (step-down) over the finite ones; n/a stay n/a.

    The i-th smallest of m becomes ``max_{j <= i} min(1, (m - j + 1) p_(j))``: rejecting
    where it is at most alpha controls the family-wise error rate at alpha.
    """
    p = np.asarray(p, float)
    out = np.full(p.shape, np.nan)
    order = np.flatnonzero(np.isfinite(p))
    order = order[np.argsort(p[order], kind="stable")]
    factors = len(order) - np.arange(len(order))
    out[order] = np.minimum(1.0, np.maximum.accumulate(factors * p[order]))
    return out


def _representatives(pooled, cluster):
    """The cluster's sources that represent their subject, indexed by subject."""
    return pooled[(pooled["cluster"] == cluster) & pooled["representative"].astype(bool)].set_index("subject")


def paired_test(a, b) -> dict:
    """n, medians, mean and SD of ``b - a``, and the paired t-test (n/a where undefined)."""
    keep = np.isfinite(a) & np.isfinite(b)
    a, b = a[keep], b[keep]
    diff = b - a
    out = {"n": len(diff), "median_a": np.median(a) if len(a) else np.nan,
           "median_b": np.median(b) if len(b) else np.nan,
           "mean_diff": diff.mean() if len(diff) else np.nan,
           "sd_diff": diff.std(ddof=1) if len(diff) > 1 else np.nan, "t": np.nan, "p": np.nan}
    if len(diff) > 1 and np.ptp(diff) > 0:
        res = stats.ttest_rel(b, a)
        out.update(t=float(res.statistic), p=float(res.pvalue))
    return out


def group_stc(pooled, timecourses, tmin, tstep):
    """Sparse estimate on fsaverage: every pooled source at its fsaverage vertex.

    Sources of several subjects at one vertex share it: their mean time course.

    Parameters
    ----------
    pooled : DataFrame
        Pooled sources (``hemi``, ``fsaverage_vertex``).
    timecourses : ndarray, shape (n_sources, n_times)
        Their time courses (A·m), in the rows' order.
    tmin, tstep : float
        Time axis (s), common to all recordings.
    """
    import mne

    data, vertices = [], []
    for hemi in ("lh", "rh"):
        rows = np.flatnonzero(pooled["hemi"].to_numpy() == hemi)
        fsv = pooled["fsaverage_vertex"].to_numpy(int)[rows]
        unique = np.unique(fsv)
        vertices.append(unique)
        data += [timecourses[rows[fsv == v]].mean(axis=0) for v in unique]
    n_times = timecourses.shape[1]
    return mne.SourceEstimate(np.array(data).reshape(-1, n_times), vertices, tmin, tstep,
                              subject="fsaverage")


def source_timecourses(pooled, stcs: dict) -> np.ndarray:
    """Time course (A·m) of each pooled source, from its recording's estimate.

    Parameters
    ----------
    pooled : DataFrame
        Pooled sources (``subject``, ``hemi``, ``vertex``).
    stcs : dict
        Recording id -> its ``mne.SourceEstimate``; all on one time axis (else a
        ``ValueError`` naming the recordings that differ).

    Returns
    -------
    data : ndarray, shape (n_sources, n_times)
    """
    axes = {rid: (round(float(s.tmin), 9), round(float(s.tstep), 9), s.data.shape[1]) for rid, s in stcs.items()}
    if len(set(axes.values())) > 1:
        raise ValueError(f"the recordings' estimates have different time axes (tmin, tstep, n_times): {axes}; "
                         "the group stage needs one sampling rate and crop window for the study")
    n_times = next(iter(axes.values()))[2]
    data = np.zeros((len(pooled), n_times))
    for k, (rid, hemi, vertex) in enumerate(pooled[["subject", "hemi", "vertex"]].itertuples(index=False)):
        stc = stcs[rid]
        h = 0 if hemi == "lh" else 1
        row = int(np.searchsorted(stc.vertices[h], int(vertex))) + (len(stc.vertices[0]) if h else 0)
        data[k] = stc.data[row]
    return data
