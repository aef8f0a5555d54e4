"""Template head models that need no download.

Two heads are provided:

* **fsaverage5 template** (:func:`write_template_subject`): a FreeSurfer-style
  subject directory built only from files that ``pip install`` puts on disk --
  nilearn's packaged fsaverage5 cortex (white, pial and sphere surfaces, ico5 =
  10242 vertices per hemisphere, the first 2562 being the ico4 vertices) and
  MNE's packaged fsaverage inner skull, head surface, fiducials and head<->MRI
  transform. The three BEM layers are ico-subdivided, nested shells so that
  ``mne.make_bem_model(..., ico=None|3|4)`` accepts them.
* **MNE "sample" head** (:func:`sample_head_forward`): the fsaverage5 cortex
  placed inside the real sample subject's inner skull by an affine fit (per-axis
  scale + translation), with the real 3-layer BEM solution, trans and
  Neuromag+EEG sensor geometry. The sample files are read in place and never
  copied.

All coordinates handled here are in MRI surface RAS. FreeSurfer surface files
store millimetres; MNE objects use metres.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
import uuid
from pathlib import Path

import numpy as np

#: Conductivities (S/m) of brain, skull and scalp for the 3-layer template BEM.
THREE_LAYER_CONDUCTIVITY = (0.3, 0.006, 0.3)
#: Bumped when the content written by :func:`write_template_subject` changes.
TEMPLATE_VERSION = 1
_MARKER = "tfmxne-template.json"
_HEMIS = ("lh", "rh")
_NILEARN_HEMI = {"lh": "left", "rh": "right"}


def single_threaded_blas():
    """Context manager limiting BLAS/OpenMP to one thread (no-op without threadpoolctl).

    MNE's interior checks call tiny LAPACK routines per Delaunay simplex; on a
    busy machine a multi-threaded OpenBLAS turns that from 0.02 s into tens
    of seconds, so forward computations here run single-threaded.
    """
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:  # pragma: no cover
        import contextlib

        return contextlib.nullcontext()
    return threadpool_limits(limits=1)


# ---------------------------------------------------------------------------
# Packaged files
# ---------------------------------------------------------------------------
def mne_fsaverage_dir() -> Path:
    """Return MNE's packaged ``mne/data/fsaverage`` folder.

    It holds fsaverage's inner skull (ico5 topology), head surface, fiducials
    and head<->MRI transform; they ship with the mne wheel, so no download.
    """
    import mne

    return Path(mne.__file__).parent / "data" / "fsaverage"


def nilearn_fsaverage5_dir() -> Path:
    """Return nilearn's packaged fsaverage5 surface folder.

    nilearn ships the fsaverage5 white/pial/sphere GIFTI surfaces as package
    data (``nilearn/datasets/data/fsaverage5``), which is the only realistic
    cortex pip installs.
    """
    import nilearn

    return Path(nilearn.__file__).parent / "datasets" / "data" / "fsaverage5"


def read_fsaverage5_surface(kind: str, hemi: str) -> tuple[np.ndarray, np.ndarray]:
    """Read one packaged fsaverage5 surface.

    Parameters
    ----------
    kind : {'white', 'pial', 'sphere'}
        Which surface.
    hemi : {'lh', 'rh'}
        Hemisphere.

    Returns
    -------
    rr : ndarray, shape (10242, 3)
        Vertex positions in fsaverage surface RAS, millimetres (sphere: radius 100).
    tris : ndarray, shape (20480, 3)
        Triangles (int).
    """
    import nibabel as nib

    if kind not in ("white", "pial", "sphere"):
        raise ValueError(f"kind must be white, pial or sphere, got {kind!r}")
    fname = nilearn_fsaverage5_dir() / f"{kind}_{_NILEARN_HEMI[hemi]}.gii.gz"
    gii = nib.load(fname)
    rr = np.asarray(gii.darrays[0].data, dtype=np.float64)
    tris = np.asarray(gii.darrays[1].data, dtype=np.int64)
    return rr, tris


def ico_sphere(grade: int) -> tuple[np.ndarray, np.ndarray]:
    """Return MNE's subdivided icosahedron of a given grade (unit sphere).

    Read from ``mne/data/icos.fif.gz``; MNE's BEM decimation (``ico=`` of
    ``make_bem_model``) requires exactly this vertex/triangle ordering.
    """
    import mne

    fname = Path(mne.__file__).parent / "data" / "icos.fif.gz"
    surf = mne.read_bem_surfaces(fname, s_id=9000 + grade, verbose=False)
    return np.asarray(surf["rr"], float), np.asarray(surf["tris"], np.int64)


def template_trans():
    """Return the fsaverage head->MRI transform shipped with MNE.

    MNE's standard montages are defined in a head frame consistent with this
    transform (it is what ``trans='fsaverage'`` means in MNE examples).

    Returns
    -------
    trans : mne.transforms.Transform
        head -> MRI (surface RAS), metres.
    """
    import mne

    trans = mne.read_trans(mne_fsaverage_dir() / "fsaverage-trans.fif")
    if trans["from"] != mne.io.constants.FIFF.FIFFV_COORD_HEAD:
        trans = mne.transforms.invert_transform(trans)
    return trans


# ---------------------------------------------------------------------------
# Geometry helpers
# ---------------------------------------------------------------------------
def ray_mesh_far_hit(
    origin: np.ndarray, directions: np.ndarray, rr: np.ndarray, tris: np.ndarray
) -> np.ndarray:
    """Distance from ``origin`` to the farthest crossing of a mesh along rays.

    Moller-Trumbore ray/triangle intersection on candidate (ray, triangle)
    pairs: a ray can only cross a triangle whose central projection onto the
    unit sphere around ``origin`` contains the ray direction, i.e. whose
    centroid direction is within the triangle's angular radius of it (found
    with a k-d tree). Taking the farthest hit turns any closed mesh into a
    star-shaped envelope seen from ``origin`` (e.g. over the nose or the folds
    of the skull base), which is what a nested BEM shell needs.

    Parameters
    ----------
    origin : ndarray, shape (3,)
    directions : ndarray, shape (n_rays, 3)
        Unit vectors.
    rr, tris : ndarray
        The mesh.

    Returns
    -------
    dist : ndarray, shape (n_rays,)
        NaN where a ray does not hit the mesh.
    """
    from scipy.spatial import cKDTree

    unit = rr - origin
    unit /= np.linalg.norm(unit, axis=1, keepdims=True)
    cdir = unit[tris].mean(1)
    cdir /= np.linalg.norm(cdir, axis=1, keepdims=True)
    radius = np.linalg.norm(unit[tris] - cdir[:, None], axis=2).max()
    pairs = cKDTree(directions).query_ball_point(cdir, r=radius * 1.01 + 1e-9)
    tri_idx = np.repeat(np.arange(len(tris)), [len(p) for p in pairs])
    ray_idx = np.concatenate([np.asarray(p, dtype=np.int64) for p in pairs])
    v0 = rr[tris[tri_idx, 0]]
    e1 = rr[tris[tri_idx, 1]] - v0
    e2 = rr[tris[tri_idx, 2]] - v0
    d = directions[ray_idx]
    p = np.cross(d, e2)
    det = (p * e1).sum(1)
    s = origin - v0
    q = np.cross(s, e1)
    with np.errstate(divide="ignore", invalid="ignore"):
        inv = 1.0 / det
        u = (p * s).sum(1) * inv
        v = (d * q).sum(1) * inv
        t = (e2 * q).sum(1) * inv
    tol = 1e-9  # rays through a vertex or along an edge must not slip between triangles
    hit = (np.abs(det) > 1e-15) & (u >= -tol) & (v >= -tol) & (u + v <= 1 + tol) & (t > 0)
    out = np.full(len(directions), -np.inf)
    np.maximum.at(out, ray_idx[hit], t[hit])
    out[~np.isfinite(out)] = np.nan
    return out


def closest_point_on_triangle(
    points: np.ndarray, a: np.ndarray, b: np.ndarray, c: np.ndarray
) -> np.ndarray:
    """Closest point of triangles ``abc`` to ``points`` (element-wise, any shape ``(..., 3)``).

    It is either the orthogonal projection onto the triangle's plane (when that
    falls inside the triangle) or the closest point of one of its three edges.
    """
    n = np.cross(b - a, c - a)
    n /= np.linalg.norm(n, axis=-1, keepdims=True)
    proj = points - ((points - a) * n).sum(-1)[..., None] * n

    def _left_of(p0, p1):
        return (np.cross(p1 - p0, proj - p0) * n).sum(-1) >= 0

    inside = _left_of(a, b) & _left_of(b, c) & _left_of(c, a)
    best = np.where(inside[..., None], proj, np.nan)
    best_d = np.where(inside, np.linalg.norm(points - proj, axis=-1), np.inf)
    for p0, p1 in ((a, b), (b, c), (c, a)):
        e = p1 - p0
        t = np.clip(((points - p0) * e).sum(-1) / (e * e).sum(-1), 0.0, 1.0)
        q = p0 + t[..., None] * e
        d = np.linalg.norm(points - q, axis=-1)
        closer = d < best_d
        best = np.where(closer[..., None], q, best)
        best_d = np.where(closer, d, best_d)
    return best


def _outward_normals(rr: np.ndarray, tris: np.ndarray) -> np.ndarray:
    """Unit triangle normals, flipped if needed so that they point outward."""
    a, b, c = rr[tris[:, 0]], rr[tris[:, 1]], rr[tris[:, 2]]
    n = np.cross(b - a, c - a)
    volume = (a * n).sum() / 6.0  # signed volume: > 0 for outward orientation
    n /= np.linalg.norm(n, axis=1, keepdims=True)
    return n if volume > 0 else -n


def signed_depth(
    points: np.ndarray, rr: np.ndarray, tris: np.ndarray, k: int = 8
) -> np.ndarray:
    """Signed distance of points to a closed surface: > 0 inside, < 0 outside.

    The distance is exact over the triangles touching the ``k`` nearest
    vertices (the closest triangle is among them on any reasonably regular
    mesh; MNE's ``mindist`` uses vertex distances only, which overestimates).
    The side comes from the summed outward normals of the triangles that
    achieve the minimum (a pseudo-normal test, exact for smooth closed
    surfaces such as BEM shells).

    Parameters
    ----------
    points : ndarray, shape (n, 3)
    rr, tris : ndarray
        Closed triangulated surface, same units as ``points``.

    Returns
    -------
    depth : ndarray, shape (n,)
    """
    from scipy.spatial import cKDTree

    points = np.asarray(points, float)
    rr = np.asarray(rr, float)
    tris = np.asarray(tris, np.int64)
    normals = _outward_normals(rr, tris)
    # vertex -> adjacent triangles, padded to a fixed width with repeats
    order = np.argsort(tris.ravel(), kind="stable")
    vert_of = tris.ravel()[order]
    tri_of = order // 3
    counts = np.bincount(vert_of, minlength=len(rr))
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    width = counts.max()
    slot = np.minimum(np.arange(width)[None], counts[:, None] - 1)
    vert_tris = tri_of[starts[:, None] + slot]  # (n_vert, width)
    _, near = cKDTree(rr).query(points, k=k)
    out = np.empty(len(points))
    for s0 in range(0, len(points), 2048):
        p = points[s0 : s0 + 2048]
        cand = vert_tris[near[s0 : s0 + 2048]].reshape(len(p), -1)  # (n, k*width)
        t = tris[cand]
        q = closest_point_on_triangle(p[:, None], rr[t[..., 0]], rr[t[..., 1]], rr[t[..., 2]])
        diff = p[:, None] - q
        d = np.linalg.norm(diff, axis=-1)
        dmin = d.min(1)
        tie = d <= dmin[:, None] * (1 + 1e-9) + 1e-12
        side = np.where(tie, (diff * normals[cand]).sum(-1), 0.0).sum(1)
        out[s0 : s0 + 2048] = np.where(side > 0, -dmin, dmin)
    return out


def distance_to_surface(points: np.ndarray, rr: np.ndarray, tris: np.ndarray) -> np.ndarray:
    """Unsigned distance of points to a triangulated surface (see :func:`signed_depth`)."""
    return np.abs(signed_depth(points, rr, tris))


# ---------------------------------------------------------------------------
# fsaverage5 template subject
# ---------------------------------------------------------------------------
def template_inner_skull(grade: int = 4) -> tuple[np.ndarray, np.ndarray]:
    """fsaverage's packaged inner skull resampled on an ico sphere (metres, MRI).

    See :func:`_template_inner_skull` (cached; copies are returned).
    """
    rr, tris = _template_inner_skull(grade)
    return rr.copy(), tris.copy()


@functools.lru_cache(maxsize=4)
def _template_inner_skull(grade: int) -> tuple[np.ndarray, np.ndarray]:
    """fsaverage's packaged inner skull resampled on an ico sphere (metres, MRI).

    The packaged surface (ico5 topology) folds under the skull base, so it is
    not star-shaped and plain ico decimation gives a slightly self-intersecting
    mesh. Instead, every vertex direction ``u`` of MNE's ico sphere of the
    given grade is cast from the surface centroid ``c`` and the vertex placed
    at the farthest crossing: ``r(u) = c + u * max{t : c + t u on surface}``.
    The result is a star-shaped (hence non-self-intersecting) closed surface
    in MNE's ico ordering, which fills the fold at the base by a few mm.

    Returns
    -------
    rr : ndarray, shape (n_vertices, 3)
    tris : ndarray, shape (n_tris, 3)
    """
    import mne

    surf = mne.read_bem_surfaces(
        mne_fsaverage_dir() / "fsaverage-inner_skull-bem.fif", verbose=False
    )[0]
    rr0 = np.asarray(surf["rr"], float)
    center = rr0.mean(0)
    u, tris = ico_sphere(grade)
    r = ray_mesh_far_hit(center, u, rr0, surf["tris"])
    if np.isnan(r).any():  # cannot happen for a closed surface around its centroid
        raise RuntimeError("inner skull is not closed around its centroid")
    return center + u * r[:, None], tris


def template_bem_surfaces(
    grade: int = 4,
    skull_thickness_mm: float = 7.0,
    min_scalp_mm: float = 4.0,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Build a nested 3-layer BEM (inner skull, outer skull, scalp) for fsaverage.

    All three shells share the ico topology of :func:`template_inner_skull` and
    are star-shaped around its centre ``c``: along each vertex direction ``u``
    (``r_in`` = inner skull radius), the scalp radius ``r_sk`` is the farthest
    crossing of MNE's packaged fsaverage head surface, and the outer skull lies
    at ``r_in + min(skull_thickness, (r_sk - r_in) / 2)``. The scalp is pushed
    out where needed so that ``r_sk - r_os >= min_scalp_mm``. Radial offsets of
    a star-shaped surface cannot self-intersect, so the set is always nested.

    Returns
    -------
    surfaces : dict
        ``{'inner_skull'|'outer_skull'|'outer_skin': (rr_m, tris)}`` in metres.
    """
    import mne

    rr_in, tris = template_inner_skull(grade)
    skull0 = mne.read_bem_surfaces(
        mne_fsaverage_dir() / "fsaverage-inner_skull-bem.fif", verbose=False
    )[0]
    center = np.asarray(skull0["rr"], float).mean(0)  # the centre used for the rays
    vec = rr_in - center
    r_in = np.linalg.norm(vec, axis=1)
    u = vec / r_in[:, None]
    head = mne.read_bem_surfaces(mne_fsaverage_dir() / "fsaverage-head.fif", verbose=False)[0]
    r_sk = ray_mesh_far_hit(center, u, np.asarray(head["rr"], float), head["tris"])
    skull = skull_thickness_mm / 1000.0
    r_sk = np.where(np.isnan(r_sk), r_in + 2 * skull, r_sk)
    r_os = r_in + np.minimum(skull, (r_sk - r_in) / 2.0)
    r_sk = np.maximum(r_sk, r_os + min_scalp_mm / 1000.0)
    return {
        "inner_skull": (rr_in, tris),
        "outer_skull": (center + u * r_os[:, None], tris.copy()),
        "outer_skin": (center + u * r_sk[:, None], tris.copy()),
    }


def _template_complete(subject_dir: Path) -> bool:
    marker = subject_dir / _MARKER
    if not marker.is_file():
        return False
    try:
        return json.loads(marker.read_text()).get("version") == TEMPLATE_VERSION
    except (OSError, ValueError):
        return False


def _write_template_files(subject_dir: Path, subject: str, bem_grade: int) -> None:
    """Write every file of the template subject into ``subject_dir``."""
    import mne
    from mne.io.constants import FIFF

    (subject_dir / "surf").mkdir(parents=True)
    (subject_dir / "bem").mkdir()
    for hemi in _HEMIS:
        for kind in ("white", "pial", "sphere"):
            rr, tris = read_fsaverage5_surface(kind, hemi)
            mne.write_surface(subject_dir / "surf" / f"{hemi}.{kind}", rr, tris)
    surfs = template_bem_surfaces(bem_grade)
    for name, (rr, tris) in surfs.items():
        mne.write_surface(subject_dir / "bem" / f"{name}.surf", rr * 1000.0, tris)
    rr, tris = surfs["outer_skin"]
    head = dict(
        rr=rr, tris=tris, id=FIFF.FIFFV_BEM_SURF_ID_HEAD, sigma=1.0,
        coord_frame=FIFF.FIFFV_COORD_MRI, np=len(rr), ntri=len(tris),
    )
    mne.write_bem_surfaces(subject_dir / "bem" / f"{subject}-head.fif", [head], verbose=False)
    pts, frame = mne.io.read_fiducials(mne_fsaverage_dir() / "fsaverage-fiducials.fif")
    mne.io.write_fiducials(subject_dir / "bem" / f"{subject}-fiducials.fif", pts, frame)
    mne.write_trans(subject_dir / "bem" / f"{subject}-trans.fif", template_trans())
    (subject_dir / _MARKER).write_text(
        json.dumps(
            dict(version=TEMPLATE_VERSION, subject=subject, bem_grade=bem_grade,
                 sources="nilearn fsaverage5 surfaces + MNE packaged fsaverage BEM"),
            indent=2,
        )
    )


def write_template_subject(
    subjects_dir, subject: str = "fsaverage5", bem_grade: int = 4
) -> Path:
    """Write a FreeSurfer-style fsaverage5 subject from packaged files only.

    Layout (everything MNE's ordinary calls need)::

        {subject}/surf/{lh,rh}.{white,pial,sphere}      fsaverage5 (ico5) surfaces, mm
        {subject}/bem/{inner_skull,outer_skull,outer_skin}.surf   nested ico shells
        {subject}/bem/{subject}-head.fif                scalp, for plotting/coreg
        {subject}/bem/{subject}-fiducials.fif           LPA/nasion/RPA (MRI frame)
        {subject}/bem/{subject}-trans.fif               head -> MRI transform
        {subject}/tfmxne-template.json                  completeness marker

    Idempotent: a complete subject (marker present, same version) is left as
    is. Atomic: files are written to a temporary sibling folder that is renamed
    into place, so a killed job never leaves a half-written subject.

    Parameters
    ----------
    subjects_dir : path-like
        FreeSurfer SUBJECTS_DIR (created if missing).
    subject : str
        Name of the subject folder.
    bem_grade : int
        Ico grade of the BEM shells (4: 5120 triangles per layer). Coarser
        models are available via ``mne.make_bem_model(..., ico=3)``.

    Returns
    -------
    subject_dir : Path
    """
    subjects_dir = Path(subjects_dir)
    subject_dir = subjects_dir / subject
    if _template_complete(subject_dir):
        return subject_dir
    if subject_dir.exists():
        raise FileExistsError(
            f"{subject_dir} exists but is not a complete tfmxne template subject "
            f"(no {_MARKER} of version {TEMPLATE_VERSION}); remove it first"
        )
    subjects_dir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{subject}.tmp-", dir=subjects_dir))
    try:
        _write_template_files(tmp / subject, subject, bem_grade)
        try:
            os.rename(tmp / subject, subject_dir)
        except OSError:
            if not _template_complete(subject_dir):  # lost a race to a broken writer
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return subject_dir


# ---------------------------------------------------------------------------
# MNE "sample" head with the fsaverage5 cortex
# ---------------------------------------------------------------------------
def fit_affine_icp(src_rr: np.ndarray, dst_rr: np.ndarray, n_iter: int = 50) -> np.ndarray:
    """Affine transform matching two closed surfaces (symmetric ICP).

    Starts by matching centroids and per-axis standard deviations, then
    iterates: pair each vertex with the nearest vertex of the other surface
    (both directions, so that a partial overlap cannot shrink the fit into a
    corner) and solve ``y = A x + t`` (12 parameters) by linear least squares
    over all pairs. A full affine, not only scale + translation, is needed
    because subjects' MRI frames differ by rotations (the MNE sample head is
    pitched ~20 degrees relative to fsaverage).

    Parameters
    ----------
    src_rr, dst_rr : ndarray, shape (n, 3) and (m, 3)
        Vertices of the two surfaces (roughly evenly spread, e.g. ico meshes).

    Returns
    -------
    affine : ndarray, shape (4, 4)
        Maps ``src`` onto ``dst``.
    """
    from scipy.spatial import cKDTree

    scale = dst_rr.std(0) / src_rr.std(0)
    aff = np.eye(4)
    aff[:3, :3] = np.diag(scale)
    aff[:3, 3] = dst_rr.mean(0) - scale * src_rr.mean(0)
    dst_tree = cKDTree(dst_rr)
    for _ in range(n_iter):
        moved = apply_affine(aff, src_rr)
        _, i_dst = dst_tree.query(moved)
        _, i_src = cKDTree(moved).query(dst_rr)
        x = np.concatenate([src_rr, src_rr[i_src]])
        y = np.concatenate([dst_rr[i_dst], dst_rr])
        sol = np.linalg.lstsq(np.c_[x, np.ones(len(x))], y, rcond=None)[0]
        new = np.eye(4)
        new[:3] = sol.T
        done = np.allclose(new, aff, atol=1e-6)
        aff = new
        if done:
            break
    return aff


def apply_affine(aff: np.ndarray, rr: np.ndarray) -> np.ndarray:
    """Apply a 4x4 affine to points of shape (n, 3)."""
    return rr @ aff[:3, :3].T + aff[:3, 3]


def _shrink_about(aff: np.ndarray, factor: float, center: np.ndarray) -> np.ndarray:
    step = np.eye(4)
    step[:3, :3] *= factor
    step[:3, 3] = (1 - factor) * center
    return step @ aff


def fit_cortex_into_skull(
    cortex_rr: np.ndarray,
    template_skull: tuple[np.ndarray, np.ndarray],
    target_skull: tuple[np.ndarray, np.ndarray],
    margin: float = 0.005,
    max_iter: int = 40,
) -> np.ndarray:
    """Affine placing a template cortex inside a target inner skull.

    1. :func:`fit_affine_icp` maps the template inner skull onto the target one.
    2. If some cortex vertex is then less than ``margin`` deep, the map is
       shrunk about the target skull centroid by the factor found with a
       secant search on the smallest depth, so that every cortex vertex is at least
       ``margin`` inside, because BEM forward fields become inaccurate for
       sources closer to a boundary than about one triangle size.

    Parameters
    ----------
    cortex_rr : ndarray, shape (n, 3)
        All template cortex vertices (metres).
    template_skull : tuple of ndarray
        Template inner skull ``(rr, tris)`` in metres, same frame as ``cortex_rr``.
    target_skull : tuple of ndarray
        Target inner skull ``(rr, tris)`` in metres.
    margin : float
        Required depth in metres.

    Returns
    -------
    affine : ndarray, shape (4, 4)
        Template MRI (m) -> target MRI (m).
    """
    rr, tris = target_skull
    aff = fit_affine_icp(template_skull[0], rr)
    depth = signed_depth(apply_affine(aff, cortex_rr), rr, tris)
    near = cortex_rr[depth < margin + 0.015]  # the others cannot get too close
    center = rr.mean(0)
    target = margin + 0.0002
    factors, depths = [1.0], [depth.min()]
    for _ in range(max_iter):
        if depths[-1] >= margin:
            full = signed_depth(apply_affine(_shrink_about(aff, factors[-1], center), cortex_rr), rr, tris)
            if full.min() >= margin:
                return _shrink_about(aff, factors[-1], center)
            depths[-1] = full.min()
        if len(factors) == 1:  # first guess: 3 % smaller
            f = 0.97
        else:  # secant step on depth(f), kept within sane bounds
            (f0, d0), (f1, d1) = (factors[-2], depths[-2]), (factors[-1], depths[-1])
            f = f1 + (target - d1) * (f1 - f0) / (d1 - d0) if d1 != d0 else f1 * 0.99
            f = float(np.clip(f, f1 - 0.05, f1 - 0.001 if d1 < margin else f1 + 0.05))
        factors.append(f)
        depths.append(signed_depth(apply_affine(_shrink_about(aff, f, center), near), rr, tris).min())
    raise RuntimeError(
        f"could not place the cortex {margin * 1000:.0f} mm inside the inner skull "
        f"(min depth {depth.min() * 1000:.1f} mm)"
    )


def sample_paths(sample_dir) -> dict[str, Path]:
    """Locations of the MNE sample files used here (read in place)."""
    sample_dir = Path(sample_dir)
    bem = sample_dir / "subjects" / "sample" / "bem"
    return dict(
        inner_skull=bem / "inner_skull.surf",
        bem_sol=bem / "sample-320-320-320-bem-sol.fif",
        trans=sample_dir / "sample-trans.fif",
        evoked=sample_dir / "sample_audvis_short-ave.fif.gz",
        cov=sample_dir / "sample_audvis-cov.fif",
    )


def sample_cortex_affine(sample_dir) -> np.ndarray:
    """Affine (metres) from fsaverage MRI space into the sample subject's MRI space.

    See :func:`fit_cortex_into_skull`; the fit uses all ico5 vertices so that
    every spacing of the resulting source space is >= 5 mm inside.
    """
    import mne

    rr, tris = mne.read_surface(sample_paths(sample_dir)["inner_skull"])
    target = (rr / 1000.0, tris)
    cortex = np.concatenate([read_fsaverage5_surface("white", h)[0] for h in _HEMIS]) / 1000.0
    return fit_cortex_into_skull(cortex, template_inner_skull(4), target)


def write_fitted_cortex_subject(subjects_dir, subject: str, affine: np.ndarray) -> Path:
    """Write ``surf/{lh,rh}.{white,sphere}`` of fsaverage5 moved by ``affine``.

    Lets ``mne.setup_source_space`` build a source space on the fitted cortex
    (the sphere is unchanged, so the ico vertex numbering is fsaverage5's).
    Atomic and idempotent (an existing folder is reused only if its stored
    affine matches).
    """
    import mne

    subject_dir = Path(subjects_dir) / subject
    marker = subject_dir / "affine.npy"
    if marker.is_file() and np.allclose(np.load(marker), affine):
        return subject_dir
    if subject_dir.exists():
        shutil.rmtree(subject_dir)
    Path(subjects_dir).mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{subject}.tmp-", dir=subjects_dir))
    try:
        (tmp / "surf").mkdir()
        for hemi in _HEMIS:
            rr, tris = read_fsaverage5_surface("white", hemi)
            rr = apply_affine(affine, rr / 1000.0) * 1000.0
            mne.write_surface(tmp / "surf" / f"{hemi}.white", rr, tris)
            rr, tris = read_fsaverage5_surface("sphere", hemi)
            mne.write_surface(tmp / "surf" / f"{hemi}.sphere", rr, tris)
        np.save(tmp / "affine.npy", affine)
        try:
            os.rename(tmp, subject_dir)
        except OSError:  # another process was faster: fine if it wrote the same
            if not (marker.is_file() and np.allclose(np.load(marker), affine)):
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return subject_dir


def read_sample_info(sample_dir, drop_projs: bool = True):
    """Measurement info (306 MEG + 60 EEG) of the sample evoked file.

    Bad channels are cleared and, by default, projectors dropped: a forward
    model only needs the sensor geometry.
    """
    import mne

    info = mne.io.read_info(sample_paths(sample_dir)["evoked"], verbose=False)
    with info._unlock():
        info["bads"] = []
        if drop_projs:
            info["projs"] = []
    return info


def sample_head_forward(
    sample_dir,
    work_dir,
    spacing: str = "ico4",
    meg: bool = True,
    eeg: bool = True,
    verbose=False,
):
    """Forward model on the real MNE "sample" head with the fsaverage5 cortex.

    The fsaverage5 white surface is placed inside the sample inner skull
    (:func:`sample_cortex_affine`: affine fit of the inner skulls, then
    shrunk until every vertex is >= 5 mm inside); the source space uses ``spacing`` on it (ico4: 2 x 2562 sources,
    ico5: 2 x 10242), with the real 3-layer BEM solution, trans and sensors.
    Vertex numbers are fsaverage5's, so positions can be compared with the
    fsaverage5 template.

    The result is cached as
    ``work_dir/sample-fsaverage5-{spacing}-{meg|eeg|meg-eeg}-fwd.fif``
    and read back when present; the sample files are read in place.

    Parameters
    ----------
    sample_dir : path-like
        Folder with the MNE sample reference files (see ``shared/data/README.md``).
    work_dir : path-like
        Cache folder (also holds the fitted cortex subject).
    spacing : str
        ``mne.setup_source_space`` spacing ('ico4', 'ico5', 'oct6', ...).
    meg, eeg : bool
        Channel types to include.

    Returns
    -------
    fwd : mne.Forward
        Free-orientation forward, in head coordinates.
    """
    import mne

    if not (meg or eeg):
        raise ValueError("at least one of meg/eeg must be True")
    paths = sample_paths(sample_dir)
    work_dir = Path(work_dir)
    work_dir.mkdir(parents=True, exist_ok=True)
    kinds = "-".join(k for k, on in (("meg", meg), ("eeg", eeg)) if on)
    fname = work_dir / f"sample-fsaverage5-{spacing}-{kinds}-fwd.fif"
    if fname.is_file():
        return mne.read_forward_solution(fname, verbose=verbose)
    subjects_dir = work_dir / "subjects"
    subject = "sample_fsaverage5"
    write_fitted_cortex_subject(subjects_dir, subject, sample_cortex_affine(sample_dir))
    src = mne.setup_source_space(
        subject, spacing=spacing, subjects_dir=subjects_dir, add_dist=False, verbose=verbose
    )
    with single_threaded_blas():
        fwd = mne.make_forward_solution(
            read_sample_info(sample_dir), trans=paths["trans"], src=src,
            bem=paths["bem_sol"], meg=meg, eeg=eeg, mindist=0.0, verbose=verbose,
        )
    tmp = fname.with_name(f".{uuid.uuid4().hex}-fwd.fif")
    try:
        mne.write_forward_solution(tmp, fwd, overwrite=True, verbose=verbose)
        os.replace(tmp, fname)
    finally:
        tmp.unlink(missing_ok=True)
    return fwd
