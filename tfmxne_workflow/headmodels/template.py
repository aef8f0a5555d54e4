"""The fsaverage5 template head: a FreeSurfer-style subject that needs no download.

:func:`write_template_subject` builds it only from files that ``pip install`` puts on
disk -- nilearn's packaged fsaverage5 cortex (white, pial and sphere surfaces, ico5 =
10242 vertices per hemisphere, the first 2562 being the ico4 vertices) and MNE's
packaged fsaverage inner skull, head surface, fiducials and head<->MRI transform. The
three BEM layers are ico-subdivided, nested shells so that
``mne.make_bem_model(..., ico=None|3|4)`` accepts them. This is what
``forward.source: template`` uses.

All coordinates handled here are in MRI surface RAS. FreeSurfer surface files store
millimetres; MNE objects use metres.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np

from .meshes import ico_sphere, ray_mesh_far_hit

#: Conductivities (S/m) of brain, skull and scalp for the 3-layer template BEM.
THREE_LAYER_CONDUCTIVITY = (0.3, 0.006, 0.3)
#: Bumped when the content written by :func:`write_template_subject` changes.
TEMPLATE_VERSION = 1
_MARKER = "tfmxne-template.json"
HEMIS = ("lh", "rh")
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
    for hemi in HEMIS:
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


