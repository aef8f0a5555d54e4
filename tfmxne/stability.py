"""Stability selection for TF-MxNE (Meinshausen and Bühlmann, J. R. Stat. Soc. B 72, 2010).

A source fitted to the noise of one recording moves or vanishes when the noise changes; a
real source stays where it is. The data are resampled ``n`` times, each resample is solved
at the data's alpha (warm-started from the data's solution, on the same prepared gain), and
each *candidate*, a source of the data's solution, gets its **stability**: the fraction of
resamples with an active source within ``radius`` of it. Candidates below ``threshold``
are dropped and the data refitted on the others.

A resample has twice the noise variance of the data, as the half-samples of stability
selection do: either the average of a random half of the trials, or, when only the average
exists, the average plus a fresh draw of its own noise (for Gaussian noise the two have
the same distribution: with A and B the averages of two halves, ``A = (A + B) / 2 +
(A - B) / 2`` and ``(A - B) / 2`` is independent of ``(A + B) / 2`` with its variance).
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .solver import SolverResult, active_positions, solve


@dataclass
class Stability:
    """Candidates of the data's solution and how the resamples saw them.

    Attributes
    ----------
    candidates : array of int, shape (n_candidates,)
        The candidates' positions (indices of the gain's positions).
    frequency : array, shape (n_candidates,)
        Stability: fraction of resamples with an active position within ``radius``.
    matched : array of int, shape (n_candidates, n_resamples)
        The nearest active position within ``radius`` in each resample (-1: none).
    resamples : list of SolverResult
        Each resample's solution (on the same gain).
    kept : array of bool, shape (n_candidates,)
        ``frequency >= threshold``.
    """

    candidates: np.ndarray
    frequency: np.ndarray
    matched: np.ndarray
    resamples: list
    kept: np.ndarray

    def time_courses(self, n_orient) -> np.ndarray:
        """Matched sources' time courses, shape (n_candidates, n_resamples, n_orient, n_times).

        NaN where a resample has no source near the candidate.
        """
        n_times = self.resamples[0].X.shape[1] if self.resamples else 0
        out = np.full((*self.matched.shape, n_orient, n_times), np.nan)
        for b, res in enumerate(self.resamples):
            positions = active_positions(res.active_set, n_orient)
            if not len(positions):
                continue
            blocks = res.X.reshape(len(positions), n_orient, -1)
            for c, j in enumerate(self.matched[:, b]):
                if j >= 0:
                    out[c, b] = blocks[np.searchsorted(positions, j)]
        return out


def match(candidates_rr, found_rr, radius):
    """For each candidate, the nearest of ``found_rr`` within ``radius`` (-1: none)."""
    if not len(found_rr) or not len(candidates_rr):
        return np.full(len(candidates_rr), -1)
    dist = np.linalg.norm(candidates_rr[:, None] - found_rr[None], axis=-1)
    nearest = dist.argmin(axis=1)
    return np.where(dist[np.arange(len(nearest)), nearest] <= radius, nearest, -1)


def stability_selection(M, resamples, G, alpha_space, alpha_time, result, positions_rr,
                        radius, threshold, n_orient, tol, weakness=1.0, random_state=0,
                        **solve_kw) -> tuple[Stability, SolverResult]:
    """Stability of the sources of ``result`` over ``resamples``, and the refit on the stable ones.

    Parameters
    ----------
    M : array, shape (n_sensors, n_times)
        The data (as solved for ``result``).
    resamples : iterable of array, shape (n_sensors, n_times)
        Resampled data, prepared as ``M`` (whitened, tapered).
    G : array
        The gain ``result`` was solved with.
    alpha_space, alpha_time : float
        The penalties of ``result``: each resample is solved with the same.
    result : SolverResult
        The data's solution: its active positions are the candidates.
    positions_rr : array, shape (n_positions, 3)
        Position of each of ``G``'s positions (m).
    radius : float
        Largest distance (m) of a resample's source from the candidate it confirms.
    threshold : float
        Smallest stability kept.
    n_orient : int
        Orientations per position.
    tol : float
        Relative tolerance: each solve stops at a gap of ``tol ||data||^2``.
    weakness : float in (0, 1]
        Randomised penalties (the randomised lasso of Meinshausen and Bühlmann): in each
        resample every position's spatial penalty is divided by a weight drawn uniformly
        in ``[weakness, 1]``; 1 gives the plain penalty.
    random_state : None | int | numpy.random.Generator
        Seed of those weights.
    **solve_kw
        Other :func:`tfmxne.solve` arguments (``wsize``, ``tstep``, ``maxit``,
        ``dgap_freq``, ``debias``).

    Returns
    -------
    stability : Stability
    refit : SolverResult
        ``result`` itself when every candidate is kept, else the data solved with the
        same penalties on the kept candidates' positions only (warm-started), with
        ``active_set`` over all of ``G``'s columns.
    """
    candidates = active_positions(result.active_set, n_orient)
    if not len(candidates):  # nothing to confirm
        return Stability(candidates, np.zeros(0), np.zeros((0, 0), int), [], np.zeros(0, bool)), result
    rng = np.random.default_rng(random_state)
    n_positions = G.shape[1] // n_orient
    solutions, matched = [], []
    for data in resamples:
        w_space = None if weakness >= 1 else 1.0 / rng.uniform(weakness, 1.0, n_positions)
        res = solve(data, G, alpha_space, alpha_time, n_orient=n_orient, Z_init=result,
                    w_space=w_space, tol=tol * float(np.sum(data * data)), **solve_kw)
        found = active_positions(res.active_set, n_orient)
        local = match(positions_rr[candidates], positions_rr[found], radius)
        hit = np.full(len(candidates), -1)
        hit[local >= 0] = found[local[local >= 0]]
        matched.append(hit)
        solutions.append(res)
    matched = np.array(matched, int).reshape(len(solutions), len(candidates)).T
    frequency = (matched >= 0).mean(axis=1) if solutions else np.ones(len(candidates))
    kept = frequency >= threshold
    stability = Stability(candidates, frequency, matched, solutions, kept)
    if kept.all():
        return stability, result
    return stability, _refit(M, G, alpha_space, alpha_time, result, candidates[kept], n_orient,
                             tol * float(np.sum(M * M)), **solve_kw)


def _refit(M, G, alpha_space, alpha_time, result, positions, n_orient, tol, **solve_kw):
    """The data solved on ``positions`` only, warm-started from ``result``'s blocks there."""
    columns = np.zeros(G.shape[1], bool)
    columns.reshape(-1, n_orient)[positions] = True
    warm = SolverResult(X=None, Z=result.Z[columns[result.active_set]],
                        active_set=result.active_set[columns])
    res = solve(M, G[:, columns], alpha_space, alpha_time, n_orient=n_orient, Z_init=warm,
                tol=tol, **solve_kw)
    active = np.zeros(G.shape[1], bool)
    active[columns] = res.active_set
    res.active_set = active
    return res
