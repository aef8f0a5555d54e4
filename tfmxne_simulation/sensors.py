"""Synthetic but realistic sensor layouts for simulated recordings.

MNE ships no raw file with Neuromag geometry, but it ships the Vectorview
helmet surface (``mne/data/helmets/306m.fif.gz``, device coordinates, within
~2 mm of the real sensors). :func:`vectorview_like_meg_info` places 102
triplets (one magnetometer + two orthogonal planar gradiometers, Neuromag coil
types) evenly on it, and :func:`fit_dev_head_t` positions a head under the
helmet. EEG uses MNE's ``fsaverage_1005`` montage, digitised on fsaverage's
own scalp, hence consistent with :func:`tfmxne_workflow.headmodels.template.template_trans`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

#: 60 EEG positions of the 10-10 system (a typical 60-channel cap).
EEG60 = (
    "Fp1 Fpz Fp2 AF7 AF3 AFz AF4 AF8 F7 F5 F3 F1 Fz F2 F4 F6 F8 FT7 FC5 FC3 FC1 FCz FC2 FC4 "
    "FC6 FT8 T7 C5 C3 C1 Cz C2 C4 C6 T8 TP7 CP5 CP3 CP1 CPz CP2 CP4 CP6 TP8 P7 P5 P3 P1 Pz "
    "P2 P4 P6 P8 PO7 PO3 POz PO4 PO8 O1 O2"
).split()
#: Gap kept between the scalp and the nearest MEG sensor (m).
DEFAULT_GAP = 0.020


def helmet_surface() -> dict:
    """MNE's packaged Neuromag Vectorview helmet (device frame, metres, outward normals)."""
    import mne

    fname = Path(mne.__file__).parent / "data" / "helmets" / "306m.fif.gz"
    return mne.read_bem_surfaces(fname, verbose=False)[0]


def farthest_point_sample(points: np.ndarray, n: int, first: int = 0) -> np.ndarray:
    """Indices of ``n`` points spread evenly by greedy farthest-point sampling.

    Deterministic: starts at ``first`` and repeatedly adds the point farthest
    from those already chosen, which gives a near-uniform layout such as a
    real sensor array.
    """
    chosen = [first]
    dist = np.linalg.norm(points - points[first], axis=1)
    for _ in range(n - 1):
        nxt = int(np.argmax(dist))
        chosen.append(nxt)
        dist = np.minimum(dist, np.linalg.norm(points - points[nxt], axis=1))
    return np.array(chosen)


def helmet_sensor_sites(n_sites: int = 102, offset: float = 0.002):
    """Evenly spread positions and outward normals on the Vectorview helmet.

    Candidates are the helmet's vertices and triangle centroids (normals
    interpolated); ``n_sites`` of them are chosen by farthest-point sampling
    and moved ``offset`` outward (real sensors are ~2 mm from this surface).

    Returns
    -------
    rr, nn : ndarray, shape (n_sites, 3)
        Device coordinates (m) and unit outward normals.
    """
    helm = helmet_surface()
    rr, nn, tris = helm["rr"], helm["nn"], helm["tris"]
    cand_rr = np.concatenate([rr, rr[tris].mean(1)])
    cand_nn = np.concatenate([nn, nn[tris].sum(1)])
    cand_nn /= np.linalg.norm(cand_nn, axis=1, keepdims=True)
    top = int(np.argmax(cand_rr[:, 2]))
    idx = farthest_point_sample(cand_rr, n_sites, first=top)
    idx = idx[np.lexsort((cand_rr[idx, 0], -cand_rr[idx, 1]))]  # front to back, left to right
    return cand_rr[idx] + offset * cand_nn[idx], cand_nn[idx]


def _tangent_frame(normal: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors completing ``normal`` to a right-handed orthonormal frame."""
    ref = np.array([0.0, 0.0, 1.0]) if abs(normal[2]) < 0.9 else np.array([1.0, 0.0, 0.0])
    e1 = np.cross(ref, normal)
    e1 /= np.linalg.norm(e1)
    return e1, np.cross(normal, e1)


def vectorview_like_meg_info(sfreq: float, n_sites: int = 102):
    """Measurement info with a 306-channel Neuromag-Vectorview-like MEG array.

    Each site holds a magnetometer (``FIFFV_COIL_VV_MAG_T3``) and two planar
    gradiometers (``FIFFV_COIL_VV_PLANAR_T1``) measuring the two orthogonal
    tangential derivatives, named like Neuromag channels: ``MEG 0011`` (mag),
    ``MEG 0012``/``MEG 0013`` (grads), ... Coil frames follow the FIF
    convention ``loc = [r0, ex, ey, ez]`` with ``ez`` the outward normal; the
    gradient direction of a planar gradiometer is its ``ex``.

    Returns
    -------
    info : mne.Info
        MEG channels only, device frame, identity ``dev_head_t``.
    """
    import mne

    from tfmxne._mne_private import unlocked

    rr, nn = helmet_sensor_sites(n_sites)
    names, types, locs = [], [], []
    for k, (r0, ez) in enumerate(zip(rr, nn), start=1):
        e1, e2 = _tangent_frame(ez)
        for suffix, kind, ex, ey in (("2", "grad", e1, e2), ("3", "grad", e2, -e1), ("1", "mag", e1, e2)):
            names.append(f"MEG {k:03d}{suffix}")
            types.append(kind)
            locs.append(np.concatenate([r0, ex, ey, ez]))
    info = mne.create_info(names, sfreq, types)
    with unlocked(info):
        for ch, loc in zip(info["chs"], locs):
            ch["loc"][:] = loc
            ch["coord_frame"] = mne.io.constants.FIFF.FIFFV_COORD_DEVICE
    return info


def dev_head_transform(rotation_deg=(0.0, 0.0, 0.0), translation=(0.0, 0.0, 0.04)):
    """``device -> head`` Transform from x/y/z rotations (degrees) and a translation (m)."""
    import mne

    trans = mne.transforms.rotation(*np.deg2rad(rotation_deg))
    trans[:3, 3] = translation
    return mne.transforms.Transform("meg", "head", trans)


def fit_dev_head_t(
    sensor_rr_dev: np.ndarray,
    scalp: tuple[np.ndarray, np.ndarray],
    gap: float = DEFAULT_GAP,
    rotation_deg=(0.0, 0.0, 0.0),
    shift_xy=(0.0, 0.0),
):
    """Place the head under the helmet with a given scalp-to-sensor gap.

    The head is rotated and shifted horizontally as given; the vertical
    position (device origin above the head origin) is then found by bisection
    so that the closest sensor is ``gap`` outside the scalp.

    Parameters
    ----------
    sensor_rr_dev : ndarray, shape (n, 3)
        Sensor positions, device frame (m).
    scalp : tuple of ndarray
        Scalp ``(rr, tris)`` in the head frame (m).

    Returns
    -------
    dev_head_t : mne.transforms.Transform
    """
    import mne

    from tfmxne_workflow.headmodels.meshes import signed_depth

    def _min_gap(z):
        t = dev_head_transform(rotation_deg, (shift_xy[0], shift_xy[1], z))
        return -signed_depth(mne.transforms.apply_trans(t, sensor_rr_dev), *scalp).max()

    lo, hi = -0.05, 0.15  # device origin this far above the head origin (m)
    for _ in range(30):
        mid = 0.5 * (lo + hi)
        if _min_gap(mid) < gap:
            lo = mid
        else:
            hi = mid
    return dev_head_transform(rotation_deg, (shift_xy[0], shift_xy[1], hi))


def eeg_montage():
    """MNE's ``fsaverage_1005`` montage (on fsaverage's scalp, with fiducials)."""
    import mne

    return mne.channels.make_standard_montage("fsaverage_1005")
