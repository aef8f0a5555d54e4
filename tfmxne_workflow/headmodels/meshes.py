"""Triangulated-surface geometry for the head models: rays, distances, affine fits.

All coordinates are in one frame and unit (callers use MRI surface RAS, metres);
nothing here reads files except :func:`ico_sphere` (MNE's packaged icosahedra).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def ico_sphere(grade: int) -> tuple[np.ndarray, np.ndarray]:
    """Return MNE's subdivided icosahedron of a given grade (unit sphere).

    Read from ``mne/data/icos.fif.gz``; MNE's BEM decimation (``ico=`` of
    ``make_bem_model``) requires exactly this vertex/triangle ordering.
    """
    import mne

    fname = Path(mne.__file__).parent / "data" / "icos.fif.gz"
    surf = mne.read_bem_surfaces(fname, s_id=9000 + grade, verbose=False)
    return np.asarray(surf["rr"], float), np.asarray(surf["tris"], np.int64)



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


