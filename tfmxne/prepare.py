"""Forward and whitener preparation, each expensive step done once.

Equivalent to ``mne.minimum_norm.inverse._prepare_forward`` with
``use_cps=True`` followed by the prior weights of ``tf_mixed_norm``, with the
same results (to rounding), but without copying or converting the forward:

* the noise covariance is prepared (rank, projections, eigendecomposition per
  channel type) with MNE's rules, once, and the whitener ``W`` built from it;
* the whitened gain ``W G`` is computed once, in the frame the forward stores
  (one product per channel type: ``W`` is block diagonal over them);
* a loose inverse needs the gain in each source's (tangent, tangent, normal)
  frame ``R_p``. The norms of the rotated columns are the diagonal of
  ``R_p (W G_p)^T (W G_p) R_p^T``, from one 3 x 3 Gram matrix per source, so
  only the columns the solver keeps are rotated;
* those norms give both the depth prior (``limit_depth_chs='whiten'``) and the
  trace normalisation ``||W G S||_F^2 = sum_j s_j^2 ||W g_j||^2``.

The source standard deviations are ``s = scale * sqrt(depth * orient)``, where
``depth = min(w / limit, 1) ** exp`` with ``w = 1 / sum_xyz ||W g||^2`` and
``scale = sqrt(rank(C) / ||W G diag(depth * orient) ^ 0.5||_F^2)``.

With prior weights and no depth ``limit`` (the sparse default), each source's
depth prior is its own and ``scale`` is a factor common to all columns, which
cancels when the solver divides the gain by alpha_max. Then only the columns
above ``weights_min`` are whitened (2 % of them in MNE's dSPM-weighted example), and
``scale`` is left out: ``gain`` equals MNE's up to that factor.
"""

from dataclasses import dataclass

import numpy as np
from mne import pick_info
from mne.forward import is_fixed_orient

from ._mne_private import (
    _BaseSourceEstimate,
    _check_compensation_grade,
    _check_depth,
    _check_rank,
    _get_ch_whitener,
    _get_src_nn,
    _handle_default,
    _info_rank,
    _normal_orth,
    _picks_by_type,
    _restrict_gain_matrix,
    _src_kind_dict,
    _triage_loose,
    make_projector,
)
from . import threads
from .solver import block_grams, logger


@dataclass(frozen=True)
class Orientation:
    """The source orientations of the inverse, as a rotation of the stored gain.

    The oriented gain of source ``p`` is ``base[:, cols_p] @ rotation[p].T``
    (``cols_p`` its 3 stored columns), or the stored columns themselves when
    ``rotation`` is None. Converting to fixed orientations rounds the columns
    to float32, as MNE's ``convert_forward_solution`` does.
    """

    base: np.ndarray        # stored gain, all channels of the forward
    rotation: object        # None | (n_sources, n_orient, 3) array or SurfaceFrames:
    #                         rows are the new axes
    nn: np.ndarray          # (n_sources * n_orient, 3) orientation of each column,
    #                         None: the rows of ``rotation``
    surf_ori: bool
    n_orient: int

    def subset(self, sources):
        """The same orientations, of ``sources`` (position indices) only."""
        rotation = None if self.rotation is None else self.rotation[sources]
        n_stored = self.n_orient if rotation is None else 3
        nn = None if self.nn is None else self.nn[_columns_of(sources, self.n_orient)]
        return Orientation(self.base[:, _columns_of(sources, n_stored)], rotation, nn,
                           self.surf_ori, self.n_orient)

    def normals(self, sources=None):
        """Orientation of the columns of ``sources`` (position indices; all when None)."""
        if self.nn is not None:
            return self.nn if sources is None else self.nn[_columns_of(sources, self.n_orient)]
        return self.rotation[slice(None) if sources is None else sources].reshape(-1, 3)

    @property
    def source_nn(self):
        """Orientation of every column, as the forward's ``source_nn``."""
        return self.normals()

    def columns(self, gain, sources=None):
        """Columns of ``gain`` (rows of ``base``, maybe whitened) in this orientation.

        Only those of ``sources`` (position indices; all when None). Without
        rotation and sources, ``gain`` itself.
        """
        if self.rotation is None:
            if sources is None:
                return gain
            return gain[:, _columns_of(sources, self.n_orient)]
        stored = gain.reshape(len(gain), -1, 3)
        rotation = self.rotation[slice(None) if sources is None else sources]
        if sources is not None:
            stored = stored[:, sources]
        out = np.empty((len(gain), stored.shape[1], self.n_orient))
        for k in range(self.n_orient):
            np.einsum("cpi,pi->cp", stored, rotation[:, k], out=out[:, :, k])
        out = out.reshape(len(gain), -1)
        return out.astype(np.float32) if self.n_orient == 1 else out

    def stored_for_norms(self, gain):
        """``gain`` (rows of ``base``) as :meth:`column_norms` takes it.

        Returns the gain, in float64 (forwards store float32, and a mixed
        product with the whitener would not use BLAS), and its orientation.
        Fixed orientations converted from a free forward are rounded to
        float32, as MNE's conversion does, so they are converted here, before
        any whitening.
        """
        if self.n_orient == 1 and self.rotation is not None:
            return (self.columns(gain).astype(float),
                    Orientation(None, None, self.source_nn, True, 1))
        return np.asarray(gain, dtype=float), self

    def column_norms(self, gain):
        """Squared norms of all oriented columns of ``gain`` (whitened or not).

        With a 3 x 3 rotation, from the per-source Gram matrices of the stored
        columns, so that no rotated copy of ``gain`` is made. Also returns those
        Gram matrices (None for fixed orientations, which have no rotation here:
        see :meth:`stored_for_norms`).
        """
        if self.n_orient == 1:
            return np.einsum("ij,ij->j", gain, gain), None
        grams = block_grams(gain, 3)
        if self.rotation is None:
            return np.einsum("pii->pi", grams).ravel(), grams
        rotation = self.rotation[:]
        norms = np.einsum("pki,pij,pkj->pk", rotation, grams, rotation)
        return norms.ravel(), grams


def _columns_of(sources, n_orient):
    """Column indices of ``sources`` (position indices), ``n_orient`` per source."""
    return (sources[:, None] * n_orient + np.arange(n_orient)).ravel()


class SurfaceFrames:
    """Per-source (tangent, tangent, normal) frames, made for the sources asked.

    Indexing (as an array of shape ``(n_sources, 3, 3)``) computes only the
    frames of the sources it selects: each costs an eigendecomposition
    (MNE's ``_normal_orth``, about 1 µs), and with prior weights only the few
    kept sources need theirs. Frames are the identity for volume sources.
    Normals are averaged over each source's cortical patch when the source
    space has patch information (MNE's ``use_cps=True``).
    """

    def __init__(self, src):
        use_cps = any(s.get("patch_inds") is not None for s in src)
        surface = [s["type"] in ("surf", "discrete") for s in src]
        self._normals = np.concatenate([
            _get_src_nn(s, use_cps) if surf else np.zeros((s["nuse"], 3))
            for s, surf in zip(src, surface)])
        self._surface = np.repeat(surface, [s["nuse"] for s in src])
        self._all = None

    def __getitem__(self, sources):
        """Frames of ``sources`` (any index of the source axis), shape (n, 3, 3)."""
        if self._all is not None:
            return self._all[sources]
        sources = np.arange(len(self._normals))[sources]
        frames = np.tile(np.eye(3), (len(sources), 1, 1))
        surf = self._surface[sources]
        if surf.any():
            frames[surf] = _normal_orth(self._normals[sources[surf]])
        if len(sources) == len(self._normals):
            self._all = frames
        return frames


def _fixed_orientation(forward):
    """Fixed surface-normal orientations from a free forward, as MNE converts."""
    normals = SurfaceFrames(forward["src"])[:][:, 2:]
    return Orientation(forward["_orig_sol"], normals, normals[:, 0], True, 1)


def _orient_prior(src, loose):
    """Variance of each column: ``loose`` for the two tangential ones, 1 otherwise."""
    prior = [np.tile([loose[_src_kind_dict[s["type"]]]] * 2 + [1.0], s["nuse"])
             for s in src]
    return np.concatenate(prior)


def _orientation(forward, loose, depth):
    """How the inverse orients the sources of ``forward`` (not modified).

    Returns ``loose`` per source-space kind, whether the inverse has a fixed
    orientation, the inverse's :class:`Orientation` and the one the depth
    prior is computed in (they differ only for a fixed inverse whose depth
    prior comes from the free forward: ``allow_fixed_depth=False``).
    """
    loose = _triage_loose(forward["src"], loose, "auto")
    fixed_inverse = all(v == 0.0 for v in loose.values())
    if fixed_inverse and "volume" in loose:
        raise ValueError("Computing inverse solutions for volume source spaces "
                         "with fixed orientations is not supported.")
    if loose.get("volume", 1) < 1:
        raise ValueError("Computing inverse solutions with restricted orientations "
                         "(loose < 1) is not supported for volume source spaces.")
    fixed_forward = is_fixed_orient(forward)
    as_stored = Orientation(forward["sol"]["data"], None, forward["source_nn"],
                            forward["surf_ori"], 1 if fixed_forward else 3)
    if fixed_inverse:
        if fixed_forward:
            if depth["exp"] is not None and not depth["allow_fixed_depth"]:
                raise ValueError("For a fixed orientation inverse solution with "
                                 "depth weighting, the forward solution must be "
                                 "free-orientation and in surface orientation")
            return loose, True, as_stored, as_stored
        fixed = _fixed_orientation(forward)
        return loose, True, fixed, fixed if depth["allow_fixed_depth"] else as_stored
    if fixed_forward:
        raise ValueError("Forward operator has fixed orientation and can only "
                         "be used to make a fixed-orientation inverse operator.")
    if any(v < 1.0 for v in loose.values()) and not forward["surf_ori"]:
        surf = Orientation(forward["_orig_sol"], SurfaceFrames(forward["src"]), None,
                           True, 3)
        return loose, False, surf, surf
    return loose, False, as_stored, as_stored


def _pick_channels(forward, info, noise_cov):
    """``info`` restricted to the channels used, and their rows in ``forward``.

    Those are the good channels of ``info`` (in its order) that the forward
    and the noise covariance have, as in MNE.
    """
    row_names = forward["sol"]["row_names"]
    available = set(row_names) & set(noise_cov["names"])
    bads = set(info["bads"]) | set(noise_cov["bads"])
    ch_names = [c["ch_name"] for c in info["chs"]
                if c["ch_name"] not in bads and c["ch_name"] in available]
    _check_compensation_grade(forward["info"], info, "forward")
    logger.info("Selected %d channels", len(ch_names))
    row_index = {name: k for k, name in enumerate(row_names)}
    rows = np.array([row_index[c] for c in ch_names])
    channel_index = {name: k for k, name in enumerate(info["ch_names"])}
    with info._skip_checks():  # an Evoked's info is consistent; checking costs more
        picked = pick_info(info, [channel_index[c] for c in ch_names])
    return picked, rows


def _type_rank(C, info, ch_type, picks, rank, scale):
    """Rank of the noise covariance block ``C`` of one channel type, by MNE's rules.

    ``C`` is already projected (the data's and the covariance's projections,
    as :func:`noise_whitener` does). ``rank`` None estimates the rank from the
    block scaled per channel type (``scale``); 'info' counts channels (or the
    SSS rank) minus projections; 'full' counts channels; a dict gives it per
    type (types it lacks are estimated).
    """
    if isinstance(rank, dict) and ch_type in rank:
        if rank[ch_type] > len(picks):
            raise ValueError(f"rank[{ch_type!r}]={rank[ch_type]} exceeds the number "
                             f"of channels ({len(picks)})")
        return int(rank[ch_type])
    if isinstance(rank, str):
        n_proj = 0
        if rank == "info":
            n_proj = make_projector(info["projs"], [info["ch_names"][p] for p in picks])[1]
        return _info_rank(info, ch_type, picks, rank) - n_proj
    return _numerical_rank(C * np.outer(scale, scale))


def _numerical_rank(C):
    """MNE's ``estimate_rank(C, tol="auto", norm=False)`` of a symmetric matrix.

    Its singular values are the magnitudes of its eigenvalues, which cost a
    third of an SVD: the rank counts those above ``n eps max``.
    """
    s = np.abs(np.linalg.eigvalsh(C))
    return int(np.sum(s > len(s) * s.max() * np.finfo(np.float64).eps))


def _rank_scales(info):
    """MNE's per-channel scaling of covariances before rank estimation."""
    scalings = _handle_default("scalings_cov_rank", None)
    scale = np.ones(len(info["ch_names"]))
    for ch_type, picks in _picks_by_type(info, exclude=[]):
        scale[picks] = scalings[ch_type]
    return scale


def noise_whitener(noise_cov, info, rank, pca):
    """Whitener of ``noise_cov`` for the channels of ``info``, and its rank.

    The same as MNE's ``compute_whitener(noise_cov, info, pca=pca, rank=rank)``:
    projections of the data and the covariance applied, then per channel type
    (MEG together, EEG, ...) an eigendecomposition whose smallest eigenvalues
    beyond the rank are zeroed.
    """
    rank = _check_rank(rank)
    ch_names = info["ch_names"]
    cov_index = {name: k for k, name in enumerate(noise_cov.ch_names)}
    idx = [cov_index[c] for c in ch_names]
    C = noise_cov._get_square()[np.ix_(idx, idx)]
    proj, n_proj, _ = make_projector(info["projs"] + noise_cov["projs"], ch_names)
    if n_proj:  # in MNE's order: the eigenvectors of close eigenvalues depend on it
        C = proj @ (C @ proj.T)
    scale = _rank_scales(info)
    n_chan = len(ch_names)
    eig, eigvec = np.zeros(n_chan), np.zeros((n_chan, n_chan))
    for ch_type, picks in _picks_by_type(info, meg_combined=True, ref_meg=False,
                                         exclude=[]):
        block = C[np.ix_(picks, picks)]
        this_rank = _type_rank(block, info, ch_type, picks, rank, scale[picks])
        e, v, _ = _get_ch_whitener(block, False, ch_type.upper(), this_rank)
        eig[picks], eigvec[np.ix_(picks, picks)] = e, v
    nonzero = eig > 0
    whitener = np.zeros((n_chan, 1))
    whitener[nonzero, 0] = 1.0 / np.sqrt(eig[nonzero])
    whitener = whitener * eigvec
    whitener = whitener[nonzero] if pca else eigvec.T @ whitener
    return whitener, int(nonzero.sum())


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
        return threads.matmul(whitener, gain)
    out = np.empty((whitener.shape[0], gain.shape[1]))
    for rows, cols in blocks:
        threads.matmul(whitener[rows, cols], gain[cols], out=out[rows])
    return out


def _depth_prior(norms, grams, n_orient, patch_areas, depth):
    """MNE's ``compute_depth_prior`` from the squared column norms of the gain it uses.

    For ``combine_xyz='spectral'``, from the per-source Grams instead.
    """
    exp, limit, combine_xyz = depth["exp"], depth["limit"], depth["combine_xyz"]
    per_column = n_orient == 1 or combine_xyz is False
    if per_column:
        d = norms.copy()
    elif combine_xyz == "spectral":
        d = np.linalg.eigvalsh(grams)[:, -1]
    else:
        d = norms.reshape(-1, 3).sum(axis=1)
    d[d == 0.0] = np.min(d[d != 0.0])
    if patch_areas is not None:
        d /= (np.repeat(patch_areas, n_orient) if per_column else patch_areas) ** 2
    w = 1.0 / d
    if limit is not None:
        ws = np.sort(w)
        w_limit = ws[-1]
        above = np.flatnonzero(ws > limit**2 * ws[0])
        if len(above):
            w_limit = ws[above[0]]
        w = np.minimum(w / w_limit, 1)
    prior = w**exp
    return np.repeat(prior, n_orient) if not per_column else prior


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


@dataclass(frozen=True)
class Prepared:
    """A whitened, weighted sparse-inverse problem, and what maps it back."""

    info: object              # Info of the channels used
    gain: np.ndarray          # whitened, source-weighted gain, columns in mask
    source_weighting: np.ndarray  # all columns (times the prior weights)
    whitener: np.ndarray
    mask: np.ndarray          # None without weights
    orientation: Orientation
    rows: np.ndarray          # rows of the forward's gain for ``info``'s channels
    src: object               # SourceSpaces
    source_rr: np.ndarray

    @property
    def n_orient(self):
        """Orientations per source position (1 or 3)."""
        return self.orientation.n_orient

    @property
    def source_nn(self):
        """Unit orientation of each column, as the forward's ``source_nn``."""
        return self.orientation.source_nn

    @property
    def surf_ori(self):
        """Whether the columns are in surface (tangent, tangent, normal) frames."""
        return self.orientation.surf_ori

    def sensor_gain(self, columns=None):
        """Unwhitened oriented gain (channels of ``info``) of ``columns``.

        ``columns``: boolean over all columns; all when None.
        """
        o = self.orientation
        sources = None if columns is None else np.flatnonzero(columns[::o.n_orient])
        return o.columns(o.base, sources)[self.rows]


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
        ``info`` (the channels used), ``gain`` (whitened, source-weighted,
        columns in ``mask`` only), ``source_weighting`` (all columns, times
        the prior weights), ``whitener``, ``mask`` (None without weights) and
        the orientation of the columns. Without weights, ``gain``,
        ``source_weighting``, ``whitener``, ``source_nn`` and
        ``sensor_gain()`` equal MNE's ``_prepare_forward`` outputs.
    """
    depth = _check_depth(depth, "depth_sparse")
    if depth["exp"] is not None:
        depth["exp"] = float(depth["exp"])
        if depth["exp"] < 0:
            raise ValueError("depth exponent should be greater than or equal to 0, "
                             f"got {depth['exp']}")
        depth["exp"] = depth["exp"] or None
    loose, fixed_inverse, orientation, depth_orientation = _orientation(
        forward, loose, depth)
    n_orient = orientation.n_orient
    mask = None
    if weights is not None:
        weights, mask = _weights_mask(weights, weights_min, n_orient,
                                      n_orient * forward["nsource"])
    info_picked, rows = _pick_channels(forward, info, noise_cov)
    whitener, n_nonzero = noise_whitener(noise_cov, info_picked, rank, pca)

    sources = None if mask is None else np.flatnonzero(mask[::n_orient])
    # Without a depth limit each source's depth prior is its own, and the trace
    # normalisation is a factor common to all columns, which cancels when the
    # solver scales the gain by alpha_max: with weights, only the columns kept
    # need whitening (2 % of them in MNE's dSPM-weighted example).
    local = sources is not None and (depth["exp"] is None or (
        depth["limit"] is None and depth["limit_depth_chs"] == "whiten"
        and depth_orientation is orientation))
    kept = orientation.subset(sources) if local else orientation
    columns = mask if local else slice(None)

    stored, kept_stored = kept.stored_for_norms(kept.base[rows])
    stored = _whiten(whitener, stored, info_picked)
    norms, grams = kept_stored.column_norms(stored)

    depth_prior = None
    if depth["exp"] is not None:
        patch_areas = forward.get("patch_areas")
        if local and patch_areas is not None:
            patch_areas = patch_areas[sources]
        depth_prior = _depth_prior(
            *_depth_norms(depth, depth_orientation, orientation, norms, grams,
                          forward, rows, whitener, info_picked),
            depth_orientation.n_orient, patch_areas, depth)
        if depth_orientation.n_orient != n_orient:
            depth_prior = depth_prior[2::3]
    source_std = np.ones(len(norms)) if depth_prior is None else depth_prior.copy()
    if not fixed_inverse:
        source_std *= _orient_prior(forward["src"], loose)[columns]
    np.sqrt(source_std, out=source_std)
    if not local:
        source_std *= np.sqrt(n_nonzero / np.sum(norms * source_std**2))
    if mask is not None:
        source_std *= weights[columns]
    gain = kept_stored.columns(stored, None if local else sources)
    gain *= source_std if local or mask is None else source_std[mask]
    if local:
        source_weighting = np.zeros(len(mask))
        source_weighting[mask] = source_std
    else:
        source_weighting = source_std
    return Prepared(info_picked, gain, source_weighting, whitener, mask, orientation,
                    rows, forward["src"], forward["source_rr"])


def _depth_norms(depth, depth_orientation, orientation, norms, grams, forward, rows,
                 whitener, info):
    """Column norms (and Grams) of the gain MNE computes the depth prior from."""
    whiten = depth["limit_depth_chs"] == "whiten"
    if whiten and depth_orientation is orientation:
        return norms, grams
    gain, stored = depth_orientation.stored_for_norms(depth_orientation.base[rows])
    if whiten:
        gain = _whiten(whitener, gain, info)
    elif depth["limit_depth_chs"]:
        gain = _restrict_gain_matrix(gain, info)
    return stored.column_norms(gain)
