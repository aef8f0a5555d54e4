"""Forward and whitener preparation, each expensive step done once.

Equivalent to ``mne.minimum_norm.inverse._prepare_forward`` with
``use_cps=True`` followed by the prior weights of ``tf_mixed_norm``, with the
same results (to rounding):

* the noise covariance is prepared (rank, projections, eigendecomposition)
  once, and the whitener ``W`` built from it;
* the whitened gain ``W G`` is computed once, one product per channel type
  (``W`` is block diagonal over them); its column norms give both the
  depth prior (``limit_depth_chs='whiten'``) and the trace normalisation
  ``||W G S||_F^2 = sum_j s_j^2 ||W g_j||^2``;
* only the columns whose prior weight is above ``weights_min`` are scaled and
  returned.

The source standard deviations are ``s = scale * sqrt(depth * orient)``, where
``depth = min(w / limit, 1) ** exp`` with ``w = 1 / sum_xyz ||W g||^2`` and
``scale = sqrt(rank(C) / ||W G diag(depth * orient) ^ 0.5||_F^2)``.
"""

from collections import namedtuple

import numpy as np
from mne._fiff.pick import _picks_by_type, pick_channels_forward, pick_info
from mne.cov import compute_whitener, prepare_noise_cov
from mne.forward import compute_depth_prior, convert_forward_solution, is_fixed_orient
from mne.minimum_norm.inverse import _triage_loose, compute_orient_prior
from mne.source_estimate import _BaseSourceEstimate
from mne.utils import _check_compensation_grade, _check_depth

from .solver import logger

Prepared = namedtuple(
    "Prepared", "forward info gain source_weighting whitener mask n_orient")


def _orient_forward(forward, loose, depth):
    """Copy ``forward`` and put it in the orientation the inverse needs.

    Returns the copy, ``loose`` per source-space kind and whether the inverse
    has a fixed orientation.
    """
    forward = forward.copy()
    loose = _triage_loose(forward["src"], loose, "auto")
    fixed_inverse = all(v == 0.0 for v in loose.values())
    if fixed_inverse and "volume" in loose:
        raise ValueError("Computing inverse solutions for volume source spaces "
                         "with fixed orientations is not supported.")
    if loose.get("volume", 1) < 1:
        raise ValueError("Computing inverse solutions with restricted orientations "
                         "(loose < 1) is not supported for volume source spaces.")
    if fixed_inverse:
        if not is_fixed_orient(forward):
            if depth["allow_fixed_depth"]:
                convert_forward_solution(forward, force_fixed=True, use_cps=True,
                                         copy=False)
        elif depth["exp"] is not None and not depth["allow_fixed_depth"]:
            raise ValueError("For a fixed orientation inverse solution with depth "
                             "weighting, the forward solution must be "
                             "free-orientation and in surface orientation")
    else:
        if is_fixed_orient(forward):
            raise ValueError("Forward operator has fixed orientation and can only "
                             "be used to make a fixed-orientation inverse operator.")
        if any(v < 1.0 for v in loose.values()) and not forward["surf_ori"]:
            convert_forward_solution(forward, surf_ori=True, use_cps=True, copy=False)
    return forward, loose, fixed_inverse


def _pick_channels(forward, info, noise_cov):
    """Restrict ``forward`` (in place) and ``info`` to the channels used.

    Those are the good channels of ``info`` (in its order) that the forward
    and the noise covariance have, as in MNE.
    """
    available = set(forward["sol"]["row_names"]) & set(noise_cov["names"])
    bads = set(info["bads"]) | set(noise_cov["bads"])
    ch_names = [c["ch_name"] for c in info["chs"]
                if c["ch_name"] not in bads and c["ch_name"] in available]
    _check_compensation_grade(forward["info"], info, "forward")
    if forward["sol"]["row_names"] != ch_names or \
            forward["info"]["ch_names"] != ch_names:
        forward = pick_channels_forward(forward, ch_names, ordered=True, copy=False,
                                        verbose=False)
    logger.info("Selected %d channels", len(ch_names))
    return forward, pick_info(info, [info["ch_names"].index(c) for c in ch_names])


def _type_blocks(whitener, info):
    """(rows, channels) slices of the per-type blocks of ``whitener``, or None.

    MNE's whitener is block diagonal over the channel types (MEG, EEG, ...);
    None unless every type is a contiguous range of channels whose rows are
    a contiguous range of zero elsewhere.
    """
    blocks, n_rows = [], 0
    for _, picks in _picks_by_type(info, meg_combined=True, ref_meg=False,
                                   exclude=[]):
        cols = slice(picks[0], picks[-1] + 1)
        rows = np.flatnonzero(np.any(whitener[:, cols] != 0, axis=1))
        if len(picks) != cols.stop - cols.start or len(rows) == 0 \
                or rows[0] != n_rows or len(rows) != rows[-1] + 1 - n_rows:
            return None
        blocks.append((slice(rows[0], rows[-1] + 1), cols))
        n_rows = rows[-1] + 1
    covered = sum(c.stop - c.start for _, c in blocks)
    return blocks if (n_rows, covered) == whitener.shape else None


def _whiten(whitener, gain, info):
    """``whitener @ gain``, skipping the zero blocks between channel types."""
    blocks = _type_blocks(whitener, info)
    if blocks is None:
        return whitener @ gain
    out = np.empty((whitener.shape[0], gain.shape[1]))
    for rows, cols in blocks:
        np.matmul(whitener[rows, cols], gain[cols], out=out[rows])
    return out


def _depth_from_norms(col_norm2, forward, exp, limit, combine_xyz):
    """Depth prior from the squared column norms of the whitened gain.

    Same as ``mne.forward.compute_depth_prior`` with ``limit_depth_chs='whiten'``.
    """
    fixed = is_fixed_orient(forward)
    d = col_norm2.copy()
    if not (fixed or combine_xyz is False):
        d = d.reshape(-1, 3).sum(axis=1)
    d[d == 0.0] = np.min(d[d != 0.0])
    patch_areas = forward.get("patch_areas", None)
    if patch_areas is not None:
        if not fixed and combine_xyz is False:
            patch_areas = np.repeat(patch_areas, 3)
        d /= patch_areas**2
    w = 1.0 / d
    if limit is not None:
        ws = np.sort(w)
        w_limit = ws[-1]
        above = np.flatnonzero(ws > limit**2 * ws[0])
        if len(above):
            w_limit = ws[above[0]]
        w = np.minimum(w / w_limit, 1)
    prior = w**exp
    if not (fixed or combine_xyz is False):
        prior = np.repeat(prior, 3)
    return prior


def _depth_prior(col_norm2, forward, info, noise_cov, rank, depth):
    """Depth prior of ``forward``, from the whitened column norms when MNE whitens."""
    if depth["exp"] is None:
        return None
    if depth["limit_depth_chs"] == "whiten" and depth["combine_xyz"] != "spectral":
        return _depth_from_norms(col_norm2, forward, depth["exp"], depth["limit"],
                                 depth["combine_xyz"])
    return compute_depth_prior(
        forward, info, exp=depth["exp"], limit_depth_chs=depth["limit_depth_chs"],
        combine_xyz=depth["combine_xyz"], limit=depth["limit"], noise_cov=noise_cov,
        rank=rank, verbose=False)


def _source_std(col_norm2, depth_prior, forward, loose, fixed_inverse, n_nonzero):
    """Source standard deviations ``s``, scaled so that ``||W G diag(s)||_F^2``
    equals the rank ``n_nonzero`` of the noise covariance."""
    source_std = np.ones(len(col_norm2))
    if depth_prior is not None:
        source_std *= depth_prior
    if not fixed_inverse:
        source_std *= compute_orient_prior(forward, loose=loose, verbose=False)
    np.sqrt(source_std, out=source_std)
    trace = np.sum(col_norm2 * source_std**2)
    source_std *= np.sqrt(n_nonzero / trace)
    return source_std


def _weights_mask(weights, weights_min, n_orient, n_columns):
    """Normalised per-column prior weights and the columns above ``weights_min``."""
    if isinstance(weights, _BaseSourceEstimate):
        weights = np.max(np.abs(weights.data), axis=1)
    weights = np.asarray(weights, dtype=float)
    w_max = np.max(weights)
    if weights_min > w_max:
        raise ValueError(f"weights_min > weights_max ({weights_min} > {w_max})")
    weights = np.repeat(weights / w_max, n_orient)
    if len(weights) != n_columns:
        raise ValueError("weights do not have the correct dimension "
                         f" ({len(weights)} != {n_columns})")
    mask = weights > weights_min / w_max
    logger.info("Reducing source space to %d sources", mask.sum() // n_orient)
    return weights, mask


def prepare_forward(forward, info, noise_cov, loose, depth, rank, pca,
                    weights=None, weights_min=0.0):
    """Whitened, depth- and orientation-weighted gain for a sparse inverse.

    Parameters
    ----------
    forward : Forward
        Forward operator (not modified).
    info : Info
        Measurement info of the data (bad channels are excluded).
    noise_cov : Covariance
        Noise covariance.
    loose : float | 'auto' | dict
        Orientation prior, as in MNE.
    depth : None | float | dict
        Depth weighting exponent or options (MNE's ``depth_sparse`` defaults).
    rank : None | 'info' | 'full' | dict
        Rank of the noise covariance, as in MNE.
    pca : bool
        Whether the whitener drops the null space of the noise covariance.
    weights : None | array, shape (n_sources,) | SourceEstimate
        Prior weights of the sources (max abs over time for an estimate).
    weights_min : float
        Sources whose weight is at most this value are left out of ``gain``.

    Returns
    -------
    prepared : Prepared
        ``forward`` (oriented copy restricted to the channels used), ``info``
        (those channels), ``gain`` (whitened, source-weighted, columns in
        ``mask`` only), ``source_weighting`` (all columns, times the prior
        weights), ``whitener``, ``mask`` (None without weights) and
        ``n_orient``. Without weights, ``gain``, ``source_weighting`` and
        ``whitener`` equal MNE's ``_prepare_forward`` outputs.
    """
    depth = _check_depth(depth, "depth_sparse")
    if depth["exp"] is not None:
        depth["exp"] = float(depth["exp"])
        if depth["exp"] < 0:
            raise ValueError("depth exponent should be greater than or equal to 0, "
                             f"got {depth['exp']}")
        depth["exp"] = depth["exp"] or None
    forward, loose, fixed_inverse = _orient_forward(forward, loose, depth)
    n_orient = 1 if fixed_inverse or is_fixed_orient(forward) else 3
    mask = None
    if weights is not None:
        weights, mask = _weights_mask(weights, weights_min, n_orient,
                                      n_orient * forward["nsource"])
    forward, info_picked = _pick_channels(forward, info, noise_cov)
    cov = prepare_noise_cov(noise_cov, info, info_picked["ch_names"], rank,
                            verbose=False)
    whitener, _ = compute_whitener(cov, pca=pca, verbose=False)
    gain = _whiten(whitener, forward["sol"]["data"], info_picked)
    col_norm2 = np.einsum("ij,ij->j", gain, gain)
    depth_prior = _depth_prior(col_norm2, forward, info_picked, noise_cov, rank, depth)
    if fixed_inverse and not is_fixed_orient(forward):
        if depth_prior is not None:
            depth_prior = depth_prior[2::3]
        convert_forward_solution(forward, surf_ori=True, force_fixed=True,
                                 use_cps=True, copy=False)
        gain = _whiten(whitener, forward["sol"]["data"], info_picked)
        col_norm2 = np.einsum("ij,ij->j", gain, gain)
    source_std = _source_std(col_norm2, depth_prior, forward, loose, fixed_inverse,
                             (cov["eig"] > 0).sum())
    if mask is not None:
        source_std *= weights
        gain = gain[:, mask]
    gain *= source_std if mask is None else source_std[mask]
    return Prepared(forward, info_picked, gain, source_std, whitener, mask, n_orient)
