"""Sources in fsaverage / MNI305: the template is the identity; FreeSurfer-style subjects map
through their registered spheres as mne.compute_source_morph(sparse=True) does.
"""
import mne
import numpy as np
import pandas as pd
import pytest
from conftest import SAMPLE_DIR

from tfmxne_workflow.errors import BadInput
from tfmxne_workflow.plan import checks, decide_group_enabled
from tfmxne_workflow.headmodels.meshes import apply_affine
from tfmxne_workflow.headmodels.template import read_fsaverage5_surface
from tfmxne_workflow.stages import common_space


def _table(vertices):
    return pd.DataFrame([{"hemi": h, "vertex": int(v)} for h, vs in vertices.items() for v in vs])


def test_template_is_the_identity():
    fsaverage = common_space.read_fsaverage()
    table = common_space.map_to_fsaverage(_table({"lh": [0, 17, 2561], "rh": [5, 10241]}), fsaverage)
    assert (table["fsaverage_vertex"] == table["vertex"]).all()
    white = read_fsaverage5_surface("white", "rh")[0]
    np.testing.assert_allclose(table.iloc[4][["x_mni", "y_mni", "z_mni"]].to_numpy(float), white[10241])


def _rotation_z(deg):
    a = np.deg2rad(deg)
    return np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])


@pytest.fixture(scope="module")
def fs_subjects(tmp_path_factory):
    """The sample-head cortex subject (fsaverage5 fitted into the sample skull) with a
    sphere.reg rotated by 4 degrees (a registration that is not the identity), and an
    fsaverage made of the packaged fsaverage5.
    """
    if not SAMPLE_DIR.is_dir():
        pytest.skip(f"MNE sample reference files not found at {SAMPLE_DIR}")
    from tfmxne_simulation import sample_head

    subjects_dir = tmp_path_factory.mktemp("subjects")
    affine = sample_head.sample_cortex_affine(SAMPLE_DIR)
    surf = sample_head.write_fitted_cortex_subject(subjects_dir, "sample_fsaverage5", affine) / "surf"
    fs_surf = subjects_dir / "fsaverage" / "surf"
    fs_surf.mkdir(parents=True)
    for hemi in ("lh", "rh"):
        rr, tris = mne.read_surface(surf / f"{hemi}.sphere")
        mne.write_surface(surf / f"{hemi}.sphere.reg", rr @ _rotation_z(4.0).T, tris)
        for kind, name in (("white", "white"), ("sphere", "sphere.reg")):
            mne.write_surface(fs_surf / f"{hemi}.{name}", *read_fsaverage5_surface(kind, hemi))
    return subjects_dir, affine


def test_sphere_mapping_is_mne_sparse_morph_and_mni_is_the_mapped_vertex(fs_subjects):
    subjects_dir, affine = fs_subjects
    rng = np.random.default_rng(0)
    vertices = {h: np.sort(rng.choice(2562, 30, replace=False)) for h in ("lh", "rh")}
    spheres = common_space.read_subject_spheres(
        common_space.subject_spheres(subjects_dir, "sample_fsaverage5"))
    table = common_space.map_to_fsaverage(_table(vertices), common_space.read_fsaverage(subjects_dir), spheres)

    stc = mne.SourceEstimate(np.ones((60, 1)), [vertices["lh"], vertices["rh"]], 0, 1,
                             subject="sample_fsaverage5")
    morph = mne.compute_source_morph(stc, "sample_fsaverage5", "fsaverage", subjects_dir, sparse=True,
                                     spacing=None, verbose="error")
    to = np.concatenate(morph.vertices_to)
    mne_vertex = to[np.asarray(morph.morph_mat.argmax(axis=0)).ravel()]
    ours = table["fsaverage_vertex"].to_numpy()
    assert (ours != table["vertex"]).mean() > 0.5  # the rotation moved most
    # ours is the nearest vertex on the spheres (brute force); MNE takes the vertex of largest
    # barycentric weight in the enclosing triangle: the same but for a few, never nearer
    fs_sphere = {h: common_space.read_fsaverage(subjects_dir)[h][1] for h in ("lh", "rh")}
    for k, (hemi, vertex) in enumerate(table[["hemi", "vertex"]].itertuples(index=False)):
        point = spheres[hemi][vertex] / np.linalg.norm(spheres[hemi][vertex])
        dist = np.linalg.norm(fs_sphere[hemi] - point, axis=1)
        assert ours[k] == np.argmin(dist)
        assert dist[mne_vertex[k]] >= dist[ours[k]]
    assert (ours == mne_vertex).mean() >= 0.9, (ours, mne_vertex)

    for _, row in table.iterrows():
        white = read_fsaverage5_surface("white", row["hemi"])[0]
        np.testing.assert_allclose(row[["x_mni", "y_mni", "z_mni"]].to_numpy(float),
                                   white[row["fsaverage_vertex"]])
    # the subject's own position, taken back to fsaverage space, is a few mm from its MNI position
    own = np.concatenate([read_fsaverage5_surface("white", h)[0][vertices[h]] for h in ("lh", "rh")])
    subject_mm = apply_affine(affine, own / 1000.0) * 1000.0
    back = apply_affine(np.linalg.inv(affine), subject_mm / 1000.0) * 1000.0
    dist = np.linalg.norm(back - table[["x_mni", "y_mni", "z_mni"]].to_numpy(float), axis=1)
    assert np.median(dist) < 10.0, dist


def test_missing_sphere_or_fsaverage_file_is_named(fs_subjects, tmp_path):
    subjects_dir, _ = fs_subjects
    checks.check_common_space(subjects_dir, "{subject}", ["sample_fsaverage5"])
    (tmp_path / "sub-01" / "surf").mkdir(parents=True)
    with pytest.raises(BadInput, match=r"sub-01/surf/lh\.sphere\.reg.*recon-all"):
        checks.check_common_space(tmp_path, "sub-{subject}", ["01"])
    (tmp_path / "fsaverage").mkdir()
    for hemi in ("lh", "rh"):
        (tmp_path / "sub-01" / "surf" / f"{hemi}.sphere.reg").write_bytes(b"")
    with pytest.raises(BadInput, match=r"fsaverage/surf/lh\.white"):
        checks.check_common_space(tmp_path, "sub-{subject}", ["01"])


def test_group_is_on_by_default_with_two_subjects_and_a_common_space():
    assert decide_group_enabled(None, 2, "template")
    assert not decide_group_enabled(None, 1, "template")
    assert not decide_group_enabled(None, 5, None)
    assert not decide_group_enabled(False, 5, "sphere")
    with pytest.raises(BadInput, match="forward.subjects_dir"):
        decide_group_enabled(True, 5, None)
