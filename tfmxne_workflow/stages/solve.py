"""TF-MxNE solve of one recording: the one place where the solver is called.

:func:`solve_recording` is what the solve rule runs and what the localisation benchmark
runs (``benchmarks/bench_localisation.py``), so the benchmark measures the workflow.
"""
from __future__ import annotations

import logging
from typing import NamedTuple

import numpy as np

from . import stability
from .crop import solve_window

logger = logging.getLogger(__name__)

#: ``tf_mixed_norm`` parameters that the workflow takes from ``config['tfmxne']``.
SOLVER_PARAMS = (
    "alpha", "l1_ratio", "loose", "depth", "wsize", "tstep", "window", "maxit", "tol",
    "debias", "n_tfmxne_iter", "pick_ori", "dgap_freq", "pca", "rank",
    "sure_n_alphas", "sure_alpha_min", "random_state", "sure_noise", "noise_margin", "noise_floor",
)


class Solution(NamedTuple):
    """What a solve gives: the estimate, its signed time courses, the residual and the record."""

    stc: object       # mne.SourceEstimate: amplitude (orientations combined), A·m
    signed: object    # the same sources' time courses along their principal orientation
    residual: object  # mne.Evoked: data minus the estimate's prediction
    record: dict      # convergence record (see solve_tfmxne)
    resamples: dict   # stability selection's candidates and resamples (stages.stability)


def solve_recording(evoked, forward, noise_cov, settings: dict, dspm=None, epochs=None):
    """Solve one condition of a recording with the solve stage's ``settings``.

    Parameters
    ----------
    evoked : mne.Evoked
        The whole epoch's average (cropped here to the solve window).
    forward : mne.Forward
    noise_cov : mne.Covariance
    settings : dict
        :meth:`tfmxne_workflow.plan.settings.Settings.solve`: ``window``, ``solver``,
        ``weights`` (with ``weights_min`` and ``weights_min_fallback``) and ``note``.
    dspm : mne.SourceEstimate | None
        The dSPM estimate on the solve window (needed when ``settings['weights']``).
    epochs : mne.Epochs | None
        The condition's epochs, whose average is ``evoked``: stability selection's
        resamples are then the averages of random halves of them
        (:func:`.stability.trial_halves`), else draws of the noise.

    Returns
    -------
    Solution
        As :func:`solve_tfmxne`, on the solve window; ``record`` also holds ``params``,
        ``solve_window``, ``stability``, ``resampling`` (``"trial halves"``, ``"noise"``, or
        None without stability selection), ``modality`` (``'meg'``/``'eeg'``, what ``auto``
        and the report's reading of the stability depend on), ``weights``, ``weights_min_used``
        and ``weights_note``.
    """
    if settings["weights"] and dspm is None:
        raise ValueError("settings['weights'] is true: give the dSPM estimate (dspm=...)")
    weights = dspm if settings["weights"] else None
    weights_min, note = (effective_weights_min(weights, settings["weights_min"], settings["weights_min_fallback"])
                         if weights is not None else (0.0, None))
    data = solve_window(evoked, settings["window"])
    stability_params = stability.solver_params(settings["stability"])
    halves = None
    if epochs is not None and stability_params["n_resamples"]:
        halves = stability.trial_halves(epochs, data, stability_params["n_resamples"],
                                        settings["solver"]["random_state"])
    solution = solve_tfmxne(data, forward, noise_cov, weights=weights, weights_min=weights_min,
                            resamples=halves, **settings["solver"], **stability_params)
    resampling = ("trial halves" if halves is not None else "noise") if stability_params["n_resamples"] else None
    solution.record.update(params=settings["solver"], solve_window=list(settings["window"]),
                           stability=settings["stability"], resampling=resampling,
                           modality=settings["modality"],
                  weights=settings["weights"], weights_min_used=weights_min if weights is not None else None,
                  weights_note=" ".join(filter(None, [settings["note"], note])) or None)
    return solution


def solve_tfmxne(evoked, forward, noise_cov, weights=None, weights_min=0.0, resamples=None, **params):
    """Run TF-MxNE (:func:`tfmxne.tf_mixed_norm`) on one evoked response.

    Parameters
    ----------
    evoked : mne.Evoked
        Data cropped to the solve window.
    forward : mne.Forward
        Forward model.
    noise_cov : mne.Covariance
        Noise covariance.
    weights : mne.SourceEstimate | None
        dSPM prior used as source weights.
    weights_min : float
        Sources with a smaller weight are discarded.
    resamples : array | None
        Stability selection's resamples (``tf_mixed_norm``'s ``resamples``): given
        averages instead of noise draws.
    **params
        The ``tf_mixed_norm`` parameters listed in :data:`SOLVER_PARAMS` and those of
        :func:`.stability.solver_params`.

    Returns
    -------
    Solution
        ``stc``: the sparse estimate (no vertex when no source is active); ``signed``:
        an estimate of the same sources holding each one's time course along its
        principal orientation, signed along the cortical normal (for a fixed orientation,
        ``stc`` itself): the oscillation a spectrum is taken of; ``residual``: data minus
        the estimate's prediction; ``record``, a dict:
        Convergence record: ``checks`` (list of ``{objective, gap, full}`` per
        duality-gap evaluation; ``full`` is False for checks on the active set only),
        ``final_gap``, ``tol`` (absolute), ``converged``, ``debias_converged`` (None without
        debiasing or active source), ``debias_error`` (0 when it converged, else the largest
        relative distance of its weights from converged ones), ``n_iter``, ``alpha_max``,
        ``n_active``, ``alpha`` (the alpha used, in percent of alpha_max) and ``sure``
        (None, or for ``alpha='sure'`` the path: ``alphas``, ``sure``, ``dof``,
        ``n_active`` per alpha and the selected ``alpha``), ``threads`` (the solver's threads:
        as many as BLAS was allowed, :mod:`tfmxne.threads`), ``noise_alpha`` (None, or for
        ``alpha='noise'`` each noise draw's alpha_max in percent of the data's) and ``tf_peaks`` (per active
        source ``hemi``, ``vertex`` and ``peak_frequency_hz``: the frequency of its
        largest TF coefficient in the solver's own solution).
    """
    from tfmxne import tf_mixed_norm

    unknown = set(params) - set(SOLVER_PARAMS) - set(stability.SOLVER_PARAMS)
    if unknown:
        raise TypeError(f"Unknown tf_mixed_norm parameters: {sorted(unknown)}")
    stc, residual, info = tf_mixed_norm(
        evoked, forward, noise_cov, weights=weights, weights_min=weights_min, resamples=resamples,
        return_residual=True, return_info=True, verbose="error", **params,
    )
    record = {
        "checks": [
            {"objective": float(p), "gap": float(g), "full": bool(f)}
            for p, g, f in zip(info["p_obj"], info["dgap"], info["full"])
        ],
        "final_gap": float(info["gap"]),
        "tol": float(info["tol"]),
        "converged": bool(info["converged"]),
        "debias_converged": None if info["debias_error"] is None else info["debias_error"] == 0,
        "debias_error": info["debias_error"],
        "n_iter": int(info["n_iter"]),
        "alpha_max": float(info["alpha_max"]),
        "n_active": int(sum(len(v) for v in stc.vertices)),
        "threads": int(info["n_threads"]),
        "alpha": float(info["alpha"]),
        "sure": info["sure"],
        "noise_alpha": None if info["noise_alpha"] is None else [float(a) for a in info["noise_alpha"]],
        "tf_peaks": [
            {"hemi": hemi, "vertex": int(v), "peak_frequency_hz": float(f)}
            for hemi, v, f in zip(
                ["lh"] * len(info["active_vertices"][0]) + ["rh"] * len(info["active_vertices"][1]),
                np.concatenate(info["active_vertices"]), info["peak_frequency"])
        ],
    }
    if not np.isfinite(record["final_gap"]):
        record["final_gap"] = None
    if not record["converged"]:
        logger.warning("TF-MxNE %s", convergence_text(record, params.get("maxit")))
    if record["debias_converged"] is False:
        logger.warning("TF-MxNE: %s", debias_text(record))
    if record["n_active"] == 0:
        logger.warning("TF-MxNE: %s", no_source_text(record))
    resamples = stability.resamples_record(info["stability"], evoked.times)
    record["n_candidates"] = len(resamples["stability"])
    return Solution(stc, _signed(stc, info["time_courses"]), residual, record, resamples)


def _signed(stc, time_courses):
    """An estimate on ``stc``'s sources holding ``time_courses`` (one row per source)."""
    signed = (stc.magnitude() if hasattr(stc, "magnitude") else stc).copy()
    signed.data = np.asarray(time_courses, float).reshape(signed.data.shape)
    return signed


def convergence_text(record, maxit=None) -> str:
    """One line on how the solver ended, as the solve log and the report show it.

    The solver stops when the full problem's duality gap is below ``tol``, or at its
    cap of outer iterations (each a full-gap check, then at most ``maxit``
    coordinate-descent passes over the working set): ``"converged: final duality gap
    1.2e-05 < tol 7.4e-04 after 244 passes"`` or ``"not converged: final duality gap
    1.2e-07 >= tol 7.4e-10 after 101 outer iterations, the solver's cap (maxit 1 passes
    each, 100 passes in all); ..."``.
    """
    gap, tol = record.get("final_gap"), record["tol"]
    gap_txt = "n/a (never evaluated)" if gap is None else f"{gap:.3g}"
    passes = f"{record['n_iter']} passes"
    if record["converged"]:
        return f"converged: final duality gap {gap_txt} < tol {tol:.3g} after {passes}"
    n_outer = sum(bool(check.get("full")) for check in record.get("checks", []))
    each = f"maxit {maxit} passes each, " if maxit is not None else ""
    return (f"not converged: final duality gap {gap_txt} >= tol {tol:.3g} after {n_outer} outer "
            f"iterations, the solver's cap ({each}{passes} in all); the estimate is written but "
            "may be inaccurate (raise tfmxne.maxit, the passes per outer iteration, or tfmxne.tol)")


#: Amplitude error of a debiasing stopped at its cap that needs no action (5 %).
DEBIAS_TOLERABLE = 0.05


def debias_text(record) -> str | None:
    """What the log and the report say when the debiasing stopped at its cap, else None."""
    if record.get("debias_converged") is not False:
        return None
    error = 100 * record["debias_error"]
    text = ("the debiasing (the rescaling of the active sources' amplitudes against the penalty's "
            "shrinkage, tfmxne.debias) stopped at its cap of iterations (tfmxne.debias.MAX_ITER) "
            f"before converging: its amplitude weights differ by up to {error:.2g} % from converged "
            "ones, so the amplitudes may be off by that much; locations and time courses are unaffected")
    if record["debias_error"] <= DEBIAS_TOLERABLE:
        return f"{text}. Below {100 * DEBIAS_TOLERABLE:g} %: nothing to do."
    return f"{text}. Read the amplitudes as approximate, or set tfmxne.debias: false to report the penalised ones."


def no_source_text(record) -> str:
    """What the log and the report say when the estimate is empty."""
    return f"no active source at {alpha_text(record)}"


def alpha_text(record) -> str:
    """The alpha of a solve, relative and absolute, as the log and the report show it.

    ``record['alpha']`` is in percent of ``record['alpha_max']``, the epsilon dual norm
    ``||Phi G^T M||_eps`` of the whitened data ``M`` (noise standard deviations) and the
    whitened gain ``G`` weighted by the depth prior and the dSPM weights if any
    (:func:`tfmxne.norms.alpha_max`): no physical unit, so absolute alphas compare within a
    recording and condition only.
    """
    alpha, alpha_max = record["alpha"], record["alpha_max"]
    return (f"alpha = {alpha:.3g} % of alpha_max = {alpha * alpha_max / 100:.4g} (alpha_max = "
            f"{alpha_max:.4g}: the dual norm of the whitened data times the whitened, "
            "depth-weighted gain, no physical unit)")


def effective_weights_min(weights, weights_min, fallback_fraction=0.5):
    """The ``weights_min`` that keeps some sources when the prior is weak.

    MNE's TF-MxNE drops every source whose weight is below ``weights_min`` and raises
    when none is left (mne-python#5162). Rule used here: when
    ``max(|weights|) < weights_min``, use ``fallback_fraction * max(|weights|)``
    instead, and say so.

    Parameters
    ----------
    weights : mne.SourceEstimate | None
        The prior; None means no weights (the threshold is returned unchanged).
    weights_min : float
        Configured threshold.
    fallback_fraction : float
        Fraction of the prior's maximum used when the threshold is too high.

    Returns
    -------
    used : float
        Threshold to pass to the solver.
    note : str | None
        Explanation when the rule was applied, else None.
    """
    if weights is None or not weights_min:
        return weights_min, None
    peak = float(np.max(np.abs(weights.data)))
    if peak >= weights_min:
        return weights_min, None
    used = fallback_fraction * peak
    note = (
        f"The dSPM weights' maximum ({peak:.3g}) is below dspm.weights_min ({weights_min:g}), "
        f"which would discard every source (mne-python#5162); using weights_min = "
        f"{fallback_fraction:g} x max = {used:.3g} instead. Lower dspm.weights_min or "
        "check the data if this is unexpected."
    )
    logger.warning(note)
    return used, note
