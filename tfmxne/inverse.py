"""MNE glue: ``tf_mixed_norm``, a drop-in for ``mne.inverse_sparse.tf_mixed_norm``.

MNE prepares the problem (whitening with ``rank``/``pca``, depth prior,
loose/free/fixed orientations, source estimate objects); the optimisation is
:func:`tfmxne.solve`. As in MNE, the whitened gain ``G`` is scaled so that
``alpha = 100`` is ``alpha_max``, the smallest regularisation giving an empty
support::

    alpha_max = ||Phi G^T M||_eps   (unweighted epsilon dual norm, l1_ratio)
    alpha_space = alpha (1 - l1_ratio),  alpha_time = alpha l1_ratio  (in % of it)

and ``tol`` is relative to ``||M||_F^2``.
"""

from numbers import Real

import numpy as np
from mne.minimum_norm.inverse import combine_xyz
from mne.utils import verbose

from ._mne_private import _check_option, _check_reference, _make_stc, deactivate_proj, unlocked
from .noise_alpha import noise_alpha
from .norms import alpha_max as _alpha_max
from .prepare import prepare_forward
from .solver import active_positions, logger, solve
from .stft import TFDictionary
from .stability import stability_selection
from .sure import _correlated, ar1_time_cov, lag1_correlation, sure_path
from .threads import allowed, on_one_blas_thread


def _edge_taper(n_times, sfreq, size):
    """Per-sample factors of Hann tapers of ``size`` s on both edges.

    ``size``: a float, (left, right), or None for no taper (ones).
    """
    if size is None:
        return np.ones(n_times)
    lsize, rsize = (size, size) if np.isscalar(size) else size
    lsize, rsize = int(lsize * sfreq), int(rsize * sfreq)
    return np.r_[np.hanning(2 * lsize)[:lsize], np.ones(n_times - lsize - rsize),
                 np.hanning(2 * rsize)[rsize:]]


def _sure_noise_model(M_untapered, times, taper, nave, sure_noise):
    """Noise level and temporal covariance of the whitened data for SURE.

    ``'white'``: ``sigma = 1 / sqrt(nave)``, white in time. ``'baseline'``: from the
    whitened, untapered samples before 0 s, ``sigma = max(their RMS, 1 / sqrt(nave))``
    (a shrunk covariance from few samples under-whitens, and ``1 / sqrt(nave)`` would
    take the excess for signal; the RMS alone is biased low when the covariance was
    estimated on these same samples, hence the floor) and an AR(1) temporal covariance
    with their lag-1 correlation, tapered as the data are; ``'white'`` when fewer than 4
    such samples.

    Returns
    -------
    sigma : float
    time_cov : array, shape (n_times, n_times) | None
    rho : float | None
        Lag-1 correlation used (None for white).
    """
    base = M_untapered[:, times < 0]
    if sure_noise == "white" or base.shape[1] < 4:
        if sure_noise != "white":
            logger.info("SURE noise model: fewer than 4 baseline samples, white noise "
                        "with sigma 1/sqrt(nave)")
        return 1.0 / np.sqrt(nave), None, None
    sigma = max(float(np.sqrt(np.mean(base**2))), 1.0 / np.sqrt(nave))
    rho = lag1_correlation(base)
    logger.info("SURE noise model from %d baseline samples: sigma %.3g (1/sqrt(nave) = "
                "%.3g), lag-1 correlation %.3f", base.shape[1], sigma, 1 / np.sqrt(nave), rho)
    return sigma, ar1_time_cov(rho, len(times), taper), rho


def _positions(mask, n_orient, n_positions):
    """The source positions of the gain's columns (all, or those of the weights' mask)."""
    return np.arange(n_positions) if mask is None else np.flatnonzero(mask[::n_orient])


def _resampled_data(resamples, n_resamples, prepared, sel, taper, evoked, M_untapered,
                    sure_noise, random_state):
    """The resamples, whitened and tapered as the data (a list of arrays).

    Given averages (``resamples``), or the data plus ``n_resamples`` draws of its noise.
    """
    if resamples is not None:
        resamples = np.asarray(resamples, float)
        expected = (len(evoked.ch_names), len(evoked.times))
        if resamples.ndim != 3 or resamples.shape[1:] != expected:
            raise ValueError(f"resamples must have shape (n_resamples, {expected[0]}, "
                             f"{expected[1]}) (the evoked's channels and times); got "
                             f"{resamples.shape}")
        return [prepared.whitener @ r[sel] * taper for r in resamples]
    sigma, time_cov, _ = _sure_noise_model(M_untapered, evoked.times, taper, evoked.nave,
                                           sure_noise)
    if time_cov is None:
        time_cov = ar1_time_cov(0.0, len(evoked.times), taper)
    rng = np.random.default_rng(random_state)
    M = M_untapered * taper
    return [M + _correlated(sigma * rng.standard_normal(M.shape), time_cov)
            for _ in range(n_resamples)]


def _stability_info(stability, prepared, positions, source_weighting):
    """:class:`tfmxne.stability.Stability` in the units of the estimate (``info['stability']``).

    ``positions``: the source position of each of the gain's positions (:func:`_positions`).
    """
    courses = stability.time_courses(prepared.n_orient)
    weighting = source_weighting.reshape(-1, prepared.n_orient)
    rr = prepared.source_rr
    matched = stability.matched
    distance = np.full(matched.shape, np.nan)
    for c, b in zip(*np.nonzero(matched >= 0)):
        found, candidate = positions[matched[c, b]], positions[stability.candidates[c]]
        courses[c, b] *= weighting[found][:, None]
        distance[c, b] = np.linalg.norm(rr[found] - rr[candidate])
    return dict(vertices=_vertices(prepared.src, positions[stability.candidates]),
                stability=stability.frequency, kept=stability.kept, distance=distance,
                amplitude=np.linalg.norm(courses, axis=2))


def _compute_residual(prepared, evoked, X, active_set, taper):
    """Tapered evoked minus the forward prediction of X, with the evoked's projections."""
    residual = evoked.copy().pick(prepared.info["ch_names"])
    residual.data *= taper
    pred = residual.copy()
    pred.data = prepared.sensor_gain(active_set) @ X
    active = [p for p in evoked.info["projs"] if p["active"]]
    inactive = [p for p in evoked.info["projs"] if not p["active"]]
    if active:
        with unlocked(pred.info):
            pred.info["projs"] = deactivate_proj(active, copy=True, verbose=False)
        pred.apply_proj(verbose=False)
        pred.add_proj(inactive, remove_existing=False, verbose=False)
    residual.data -= pred.data
    return residual


def _vertices(src, pos):
    """Split position indices into per-source-space vertex numbers."""
    out, start = [], 0
    for s in src:
        n = len(s["vertno"])
        out.append(s["vertno"][pos[(pos >= start) & (pos < start + n)] - start])
        start += n
    return out


def _peak_frequencies(Z, n_orient, wsize, tstep, n_times, sfreq):
    """Per active position, the frequency (Hz) of its largest TF coefficient.

    Power summed over orientations: where the solver put its energy.
    """
    if not len(Z):
        return np.zeros(0)
    power = (np.abs(Z) ** 2).reshape(-1, n_orient, Z.shape[1]).sum(axis=1)
    freqs = TFDictionary(wsize, tstep, n_times).frequencies(sfreq)
    return freqs[np.argmax(power, axis=1)]


def _principal_time_courses(X, n_orient):
    """Per active position, its time course along its principal orientation.

    The dominant left singular vector of the position's (orientation x time) block, signed
    so that its component along the third axis of the position's frame (the cortical normal
    for surface sources) is not negative: unlike the norm of the orientations, this keeps
    the oscillation's sign changes, so its spectrum is the source's. A fixed orientation's
    time course is its own.
    """
    if n_orient == 1 or not len(X):
        return X.copy()
    blocks = X.reshape(-1, n_orient, X.shape[1])
    out = np.empty((len(blocks), X.shape[1]))
    for k, block in enumerate(blocks):
        direction = np.linalg.svd(block, full_matrices=False)[0][:, 0]
        out[k] = (-direction if direction[-1] < 0 else direction) @ block
    return out


def _make_sparse_stc(X, active_set, prepared, tmin, tstep, pick_ori):
    n_orient = prepared.n_orient
    pos = active_positions(active_set, n_orient)
    source_nn, vector = prepared.orientation.normals(pos), False
    if n_orient == 3:
        if pick_ori == "vector":
            vector, source_nn = True, source_nn.reshape(-1, 3, 3)
        else:
            X = combine_xyz(X)
            source_nn = source_nn[::3]
    src = prepared.src
    return _make_stc(X, _vertices(src, pos), src.kind, tmin, tstep,
                     src[0]["subject_his_id"], vector=vector, source_nn=source_nn)


def _split_gof(M, X, gain):
    """Goodness of fit (%) per dipole and time, split on an orthonormal basis."""
    norm = (M * M).sum(0, keepdims=True)
    norm[norm == 0] = np.inf
    res = M - gain @ X
    U, s, _ = np.linalg.svd(gain, full_matrices=False)
    if U.shape[1] > 0:
        U = U[:, s >= s[0] * 1e-6]
    w = (U.T @ gain)[:, :, None] * X
    w_norm = np.linalg.norm(w, axis=1, keepdims=True)
    w_norm[w_norm == 0] = 1.0
    w /= w_norm
    fit = np.linalg.norm((U.T @ M)[:, None] * w, axis=0) ** 2
    over = np.linalg.norm((U.T @ res)[:, None] * w, axis=0) ** 2
    return 100 * (fit - over) / norm


def _make_dipoles(X, active_set, prepared, tmin, tstep, M, gain_active):
    from mne.dipole import Dipole  # return_as_dipoles only: a solve job need not import it

    times = tmin + tstep * np.arange(X.shape[1])
    n_orient = prepared.n_orient
    gof = _split_gof(M, X, gain_active)
    pos = active_positions(active_set, n_orient)
    gof = gof.reshape(len(pos), n_orient, len(times)).sum(1)
    source_nn = prepared.orientation.normals(pos)
    dipoles = []
    for k, p in enumerate(pos):
        rr = np.repeat(prepared.source_rr[p][None], len(times), axis=0)
        X_ = X[k * n_orient : (k + 1) * n_orient]
        if n_orient == 1:
            amp = X_[0]
            ori = np.repeat(source_nn[k][None], len(times), axis=0)
        else:
            if prepared.surf_ori:
                X_ = source_nn[k * 3 : (k + 1) * 3].T @ X_
            amp = np.linalg.norm(X_, axis=0)
            ori = np.zeros((len(times), 3))
            ori[amp > 0] = (X_[:, amp > 0] / amp[amp > 0]).T
        dipoles.append(Dipole(times, rr, amp, ori, gof[k]))
    return dipoles


@on_one_blas_thread  # the solver's threads: tfmxne.threads
@verbose
def tf_mixed_norm(evoked, forward, noise_cov, loose="auto", depth=0.8, maxit=3000,
                  tol=1e-4, weights=None, weights_min=0.0, pca=True, debias=True,
                  wsize=64, tstep=4, window=0.02, return_residual=False,
                  return_as_dipoles=False, alpha=None, l1_ratio=None, dgap_freq=10,
                  rank=None, pick_ori=None, n_tfmxne_iter=1, return_info=False,
                  sure_n_alphas=15, sure_alpha_min=10.0, random_state=0,
                  sure_noise="baseline", noise_margin=1.6, noise_floor=30.0,
                  n_resamples=0, resamples=None, stability_radius=0.01,
                  stability_threshold=0.0, stability_weakness=1.0, verbose=None):
    """Time-Frequency Mixed-Norm Estimate (TF-MxNE) of an evoked response.

    Same parameters, defaults and return types as
    ``mne.inverse_sparse.tf_mixed_norm`` (MNE 1.13), solved by
    :func:`tfmxne.solve`.

    Parameters
    ----------
    evoked : Evoked
        Data (average reference projector required for EEG).
    forward : Forward
        Forward operator (surface or volume source space).
    noise_cov : Covariance
        Noise covariance for whitening.
    loose, depth, pca, rank : see ``mne.inverse_sparse.tf_mixed_norm``
        Orientation prior, depth weighting exponent, whitening options.
    maxit : int
        Maximum passes over the active set per outer iteration.
    tol : float
        Tolerance on the duality gap, relative to ``||M||_F^2``.
    weights : None | array, shape (n_sources,) | SourceEstimate
        Prior weights of the sources (e.g. a dSPM estimate: max abs over time).
    weights_min : float
        Sources whose weight is below this value are excluded.
    debias : bool
        Remove the amplitude bias of the penalty.
    wsize, tstep : int | list of int
        STFT window sizes and hops (lists: multi-scale dictionary).
    window : float | (float, float) | None
        Length in seconds of the Hann tapers applied to the data edges.
    return_residual : bool
        Also return the residual as an Evoked.
    return_as_dipoles : bool
        Return a list of Dipole instead of a SourceEstimate.
    alpha : float in [0, 100) | 'sure' | 'noise'
        Overall regularisation in percent of ``alpha_max``. ``'noise'``: the 95th
        percentile of ``alpha_max`` over 20 draws of the noise alone (level and AR(1)
        correlation as ``sure_noise`` says, seed ``random_state``; see
        :mod:`tfmxne.noise_alpha`), times ``noise_margin``, so that noise alone gives
        no source, and at least ``noise_floor``; at or above ``alpha_max`` the estimate
        is empty. ``'sure'`` selects
        it by Stein's unbiased risk estimate over a warm-started path
        (:func:`tfmxne.sure.sure_path`: ``sure_n_alphas`` alphas log-spaced
        from 100 to ``sure_alpha_min``, two solves per alpha, each to the
        absolute gap ``100 epsilon^2`` instead of ``tol``), with the whitened
        noise level ``sigma = 1 / sqrt(evoked.nave)`` (``noise_cov`` is taken
        as the covariance of single trials, as in MNE's inverse operators);
        not with ``n_tfmxne_iter > 1``.
    l1_ratio : float in [0, 1]
        Share of the time-frequency (L1) penalty, 0 giving MxNE.
    dgap_freq : int
        Passes between gap checks on the active set.
    pick_ori : None | 'vector'
        Keep the three orientations ('vector') or their norm (None).
    n_tfmxne_iter : int
        Number of reweighted problems (1: plain TF-MxNE).
    return_info : bool
        Also return the convergence record (dict, last item of the output):
        ``p_obj`` and ``dgap`` per check, ``full`` (which checks were on the
        full problem), ``n_iter``, ``converged``, ``debias_error`` (None without
        debiasing or active source, 0 when it converged, else the largest relative distance
        of its weights from converged ones), ``gap``, ``tol`` (absolute),
        ``alpha_max`` (in units of the prepared gain: with ``weights`` and
        no depth limit, not trace-normalised; see :mod:`tfmxne.prepare`),
        ``alpha`` (percent of alpha_max), ``alpha_space``, ``alpha_time``,
        ``active_vertices`` (one array per source space), ``peak_frequency``
        (Hz, per active position in that order: the frequency of its largest TF
        coefficient, orientations' power summed), ``time_courses`` (array,
        active positions x times, A·m: each one's time course along its
        principal orientation, signed along the cortical normal; the estimate's
        own time course for a fixed orientation) and ``sure`` (None,
        or with ``alpha='sure'`` the path: ``alphas``, ``sure``, ``dof``,
        ``n_active`` per alpha, the selected ``alpha``, ``epsilon``, ...) and
        ``noise_alpha`` (None, or with ``alpha='noise'`` the noise draws' alpha_max
        in percent of the data's) and ``stability`` (None, or per candidate source:
        ``vertices`` (one array per source space), ``stability``, ``kept``, ``distance``
        (m) and ``amplitude`` (A·m, one time course per resample) of the source matched
        in each resample, NaN where none).
    sure_n_alphas : int
        Grid size of ``alpha='sure'`` (its first point, 100, is not solved).
    sure_alpha_min : float
        Smallest alpha (percent of alpha_max) of the ``alpha='sure'`` grid.
    random_state : None | int | numpy.random.Generator
        Seed of the SURE perturbation or of the noise draws (``alpha='sure'`` or
        ``'noise'`` only).
    sure_noise : 'baseline' | 'white'
        Noise model of ``alpha='sure'`` and ``alpha='noise'``: ``'baseline'`` takes
        the noise level and an AR(1) lag-1 correlation from the whitened pre-stimulus samples
        (``times < 0``; as ``'white'`` if fewer than 4) and accounts for the edge
        taper; ``'white'`` assumes white noise of level ``1 / sqrt(nave)`` (see
        :mod:`tfmxne.sure`).
    noise_margin : float
        ``alpha='noise'`` only: factor (at least 1) on the noise's alpha_max. Above 1
        it leaves room for what the noise model misses: the leakage of true sources
        through forward-model error, and noise that the baseline under-estimates.
    noise_floor : float
        ``alpha='noise'`` only: the lowest alpha, in percent of alpha_max. The leakage of
        true sources through forward-model error grows with the signal, not with the noise,
        so at high SNR it, not the noise, decides which weak sources are spurious.
    n_resamples : int
        Stability selection (:mod:`tfmxne.stability`) on this many resamples of the data,
        each the average plus a fresh draw of its noise (the noise model of
        ``sure_noise``, seed ``random_state``); 0: none, unless ``resamples`` is given.
    resamples : None | array, shape (n_resamples, n_channels, n_times)
        Resampled averages on ``evoked``'s channels and times (e.g. of random halves of
        the trials), used instead of noise draws.
    stability_radius : float
        Largest distance (m) of a resample's source from the source it confirms.
    stability_threshold : float
        Sources with a smaller stability are dropped and the data refitted without them.
    stability_weakness : float in (0, 1]
        Randomised penalties in the resamples (:func:`tfmxne.stability.stability_selection`).
    verbose : bool | str | int | None
        MNE's verbosity for the preparation steps; the solver logs to the
        ``"tfmxne"`` logger.

    Returns
    -------
    stc : SourceEstimate | VectorSourceEstimate | VolSourceEstimate | list of Dipole
        The sparse estimate.
    residual : Evoked
        Data minus the fit; only if ``return_residual``.
    info : dict
        Convergence record (``n_threads``: the solver's threads, :mod:`tfmxne.threads`);
        only if ``return_info``.
    """
    _check_reference(evoked)
    all_ch_names, info = evoked.ch_names, evoked.info
    use_sure = isinstance(alpha, str) and alpha == "sure"
    use_noise = isinstance(alpha, str) and alpha == "noise"
    if not (use_sure or use_noise) and (not isinstance(alpha, Real) or not 0.0 <= alpha < 100):
        raise ValueError("alpha must be in range [0, 100), 'sure' or 'noise'. "
                         f"Got alpha = {alpha!r}")
    if use_noise and not (isinstance(noise_margin, Real) and noise_margin >= 1):
        raise ValueError(f"noise_margin must be a number >= 1. Got {noise_margin!r}")
    if use_noise and not (isinstance(noise_floor, Real) and 0 <= noise_floor < 100):
        raise ValueError(f"noise_floor must be in range [0, 100). Got {noise_floor!r}")
    if use_sure and n_tfmxne_iter > 1:
        raise ValueError("alpha='sure' is not available with n_tfmxne_iter > 1.")
    use_stability = bool(n_resamples) or resamples is not None
    if use_stability and n_tfmxne_iter > 1:
        raise ValueError("Stability selection is not available with n_tfmxne_iter > 1.")
    if l1_ratio is None or not 0.0 <= l1_ratio <= 1.0:
        raise ValueError(f"l1_ratio must be in range [0, 1]. Got l1_ratio = {l1_ratio}")
    if n_tfmxne_iter < 1:
        raise ValueError("TF-MxNE has to be computed at least 1 time. "
                         f"Requires n_tfmxne_iter >= 1, got {n_tfmxne_iter}")
    if dgap_freq <= 0:
        raise ValueError(f"dgap_freq must be a positive integer. Got {dgap_freq}")
    _check_option("pick_ori", pick_ori, [None, "vector"])
    wsize, tstep = np.atleast_1d(wsize), np.atleast_1d(tstep)
    if len(tstep) != len(wsize):
        raise ValueError("The same number of window sizes and steps must be passed. "
                         f"Got tstep = {tstep} and wsize = {wsize}")

    prepared = prepare_forward(forward, info, noise_cov, loose, depth, rank, pca,
                               weights=weights, weights_min=weights_min)
    gain, source_weighting, mask = (prepared.gain, prepared.source_weighting,
                                    prepared.mask)
    n_orient = prepared.n_orient
    if pick_ori == "vector" and n_orient == 1:
        raise ValueError('pick_ori="vector" cannot be combined with a fixed '
                         "orientation forward solution.")

    _check_option("sure_noise", sure_noise, ["baseline", "white"])
    taper = _edge_taper(len(evoked.times), float(info["sfreq"]), window)
    sel = [all_ch_names.index(name) for name in prepared.info["ch_names"]]
    M_untapered = prepared.whitener @ evoked.data[sel]
    M = M_untapered * taper

    # Scale so that alpha is in % of alpha_max and tol relative to ||M||^2
    tol_abs = tol * float(np.sum(M * M))
    tf = TFDictionary(wsize, tstep, M.shape[1])
    a_max = _alpha_max(gain, M, tf, l1_ratio, n_orient) * 0.01
    noise_draws = None
    if use_noise:
        sigma, time_cov, _ = _sure_noise_model(M_untapered, evoked.times, taper,
                                               evoked.nave, sure_noise)
        if time_cov is None:
            time_cov = ar1_time_cov(0.0, M.shape[1], taper)
        alpha_noise, noise_draws = noise_alpha(gain, M.shape, tf, l1_ratio, n_orient,
                                               sigma, time_cov, random_state=random_state)
        alpha = min(max(noise_margin * alpha_noise / a_max, noise_floor), 100.0)
        logger.info("alpha='noise': %.3g %% of alpha_max (%.3g x the 95th percentile of "
                    "the noise's alpha_max over %d draws, sigma %.3g; floor %g)", alpha, noise_margin,
                    len(noise_draws), sigma, noise_floor)
    gain /= a_max
    source_weighting /= a_max

    path = None
    if use_sure:
        # the noise covariance is the one of single trials (MNE's convention):
        # the whitened noise of an average of nave trials has std 1 / sqrt(nave)
        sigma, time_cov, rho = _sure_noise_model(M_untapered, evoked.times, taper,
                                                 evoked.nave, sure_noise)
        path = sure_path(M, gain, l1_ratio, wsize=wsize, tstep=tstep,
                         n_orient=n_orient, sigma=sigma,
                         n_alphas=sure_n_alphas,
                         alpha_min=sure_alpha_min, maxit=maxit, dgap_freq=dgap_freq,
                         debias=debias, random_state=random_state, time_cov=time_cov)
        path.noise_sigma = sigma
        path.noise_rho = rho
        res, alpha, tol_abs = path.result, path.alpha, path.tol
    alpha_space, alpha_time = alpha * (1.0 - l1_ratio), alpha * l1_ratio
    if path is None:
        res = solve(M, gain, alpha_space, alpha_time, wsize=wsize, tstep=tstep,
                    n_orient=n_orient, maxit=maxit, tol=tol_abs,
                    dgap_freq=dgap_freq, n_tfmxne_iter=n_tfmxne_iter, debias=debias)
    stability = None
    if use_stability:
        data = _resampled_data(resamples, n_resamples, prepared, sel, taper, evoked,
                               M_untapered, sure_noise, random_state)
        positions = _positions(mask, n_orient, len(prepared.source_rr))
        stability, res = stability_selection(
            M, data, gain, alpha_space, alpha_time, res, prepared.source_rr[positions], stability_radius,
            stability_threshold, n_orient, tol, weakness=stability_weakness,
            random_state=random_state, wsize=wsize, tstep=tstep, maxit=maxit,
            dgap_freq=dgap_freq, debias=debias)
    X, active_set = res.X, res.active_set
    gain_active = gain[:, active_set]
    if mask is not None:
        full = np.zeros(len(mask), dtype=bool)
        full[mask] = active_set
        active_set = full
    X = X * source_weighting[active_set][:, None]
    gain_active /= source_weighting[active_set]
    if not active_set.any():
        logger.info("No active source: alpha=%s is at or above alpha_max; the "
                    "estimate is empty.", alpha)

    tmin, tstep_s = evoked.times[0], 1.0 / info["sfreq"]
    if return_as_dipoles:
        out = _make_dipoles(X, active_set, prepared, tmin, tstep_s, M, gain_active)
    else:
        out = _make_sparse_stc(X, active_set, prepared, tmin, tstep_s, pick_ori)
    outputs = [out]
    if return_residual:
        outputs.append(_compute_residual(prepared, evoked, X, active_set, taper))
    if return_info:
        outputs.append(dict(
            p_obj=res.p_obj, dgap=res.dgap, full=res.full, n_iter=res.n_iter,
            converged=res.converged, debias_error=res.debias_error, gap=res.gap, tol=tol_abs,
            n_threads=allowed(),
            alpha_max=100 * a_max, alpha=alpha, alpha_space=alpha_space,
            alpha_time=alpha_time,
            active_vertices=_vertices(prepared.src,
                                      active_positions(active_set, n_orient)),
            peak_frequency=_peak_frequencies(res.Z, n_orient, wsize, tstep,
                                             M.shape[1], info["sfreq"]),
            time_courses=_principal_time_courses(X, n_orient),
            sure=None if path is None else path.as_dict(),
            # per noise draw, its alpha_max in % of the data's (a_max is 1 % of it)
            noise_alpha=None if noise_draws is None else noise_draws / a_max,
            stability=None if stability is None else _stability_info(
                stability, prepared, positions, source_weighting)))
    logger.info("[done]")
    return outputs[0] if len(outputs) == 1 else tuple(outputs)
