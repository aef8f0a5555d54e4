"""The MNE "sample" head with the fsaverage5 cortex: test and benchmark data.

:func:`sample_head_forward` places the fsaverage5 white surface inside the real sample
subject's inner skull by an affine fit (per-axis scale + translation) and computes a
forward with the real 3-layer BEM solution, trans and Neuromag+EEG sensor geometry.
Vertex numbers stay fsaverage5's. The sample files (``../shared/data/sample``) are read
in place and never copied.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from pathlib import Path

import numpy as np

from tfmxne_workflow.headmodels.meshes import apply_affine, fit_affine_icp, signed_depth
from tfmxne_workflow.headmodels.template import (
    HEMIS,
    read_fsaverage5_surface,
    single_threaded_blas,
    template_inner_skull,
)


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
    cortex = np.concatenate([read_fsaverage5_surface("white", h)[0] for h in HEMIS]) / 1000.0
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
        for hemi in HEMIS:
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

    from tfmxne._mne_private import unlocked

    info = mne.io.read_info(sample_paths(sample_dir)["evoked"], verbose=False)
    with unlocked(info):
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
