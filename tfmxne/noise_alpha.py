"""``alpha='noise'``: the regularisation at which noise alone gives no source.

``Z = 0`` solves TF-MxNE exactly when ``alpha >= alpha_max(M) = ||Phi G^T M||_eps``.
For data that are pure noise ``E``, ``alpha_max(E)`` is the largest alpha that still lets
noise create a source. Taking alpha at a high quantile of ``alpha_max(E)`` over draws of
the estimated noise is the classical threshold of sparse regression for support recovery
(the universal threshold; Bickel, Ritov and Tsybakov, Ann. Stat. 2009: ``lambda`` of the
order of ``||X^T eps||_inf``): with probability ``quantile`` no source is made of noise,
whatever the SNR. A fixed percentage of ``alpha_max(M)`` instead scales with the data:
too high at high SNR (weaker simultaneous sources are lost), too low at low SNR
(noise becomes sources); and SURE minimises a prediction risk, which prefers many weak
sources.
"""
from __future__ import annotations

import numpy as np

from .norms import alpha_max
from .sure import _correlated


def noise_alpha(G, shape, tf, l1_ratio, n_orient, sigma, time_cov=None, n_draws=20,
                quantile=0.95, random_state=0):
    """``quantile`` of ``alpha_max(E)`` over ``n_draws`` noise draws ``E``.

    Parameters
    ----------
    G : array, shape (n_channels, n_sources * n_orient)
        Whitened (and weighted) gain, in the same units as the data's ``alpha_max``.
    shape : tuple
        ``(n_channels, n_times)`` of the whitened data.
    tf : TFDictionary
        The solver's dictionary for ``n_times``.
    l1_ratio : float
        Share of the time-frequency penalty.
    n_orient : int
        Orientations per source.
    sigma : float
        Standard deviation of the whitened noise.
    time_cov : array, shape (n_times, n_times) | None
        Temporal covariance of unit-variance noise (with the data's edge taper); None
        for white noise.
    n_draws, quantile : int, float
        Monte-Carlo draws and the quantile taken.
    random_state : None | int | numpy.random.Generator
        Seed of the draws.

    Returns
    -------
    alpha : float
        In the units of ``alpha_max(G, M)``.
    draws : array, shape (n_draws,)
        ``alpha_max`` of each draw.
    """
    rng = np.random.default_rng(random_state)
    draws = np.empty(n_draws)
    for k in range(n_draws):
        E = sigma * rng.standard_normal(shape)
        if time_cov is not None:
            E = _correlated(E, time_cov)
        draws[k] = alpha_max(G, E, tf, l1_ratio, n_orient)
    return float(np.quantile(draws, quantile)), draws
