"""Template head models: the fsaverage5 subject and the fsaverage5 cortex in the sample head."""
from __future__ import annotations

import time
from pathlib import Path

import mne
import numpy as np
import pytest

from tfmxne_workflow.headmodels import meshes, template
from tfmxne_simulation import sample_head

SAMPLE_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sample"
needs_sample = pytest.mark.skipif(
    not (SAMPLE_DIR / "sample_audvis_short-ave.fif.gz").is_file(),
    reason=f"MNE sample reference files not found at {SAMPLE_DIR}",
)


@pytest.fixture(scope="module")
def subjects_dir(tmp_path_factory):
    """A subjects dir holding the template subject 'fsaverage5' (written once)."""
    sd = tmp_path_factory.mktemp("subjects")
    template.write_template_subject(sd)
    return sd


@pytest.fixture(scope="module")
def template_src(subjects_dir):
    return mne.setup_source_space(
        "fsaverage5", spacing="ico4", subjects_dir=subjects_dir, add_dist=False, verbose=False
    )


@pytest.fixture(scope="module")
def template_bem(subjects_dir):
    model = mne.make_bem_model(
        "fsaverage5", ico=3, conductivity=template.THREE_LAYER_CONDUCTIVITY,
        subjects_dir=subjects_dir, verbose=False,
    )
    return mne.make_bem_solution(model, verbose=False)


def _montage_in_mri(name):
    """Electrode positions of a standard montage in template MRI coordinates (m)."""
    montage = mne.channels.make_standard_montage(name)
    info = mne.create_info(montage.ch_names, 100.0, "eeg")
    info.set_montage(montage)
    pos = np.array([ch["loc"][:3] for ch in info["chs"]])
    return mne.transforms.apply_trans(template.template_trans(), pos)


# --------------------------------------------------------------------------- geometry
def test_ray_mesh_far_hit_on_sphere():
    rr, tris = meshes.ico_sphere(3)
    dirs, _ = meshes.ico_sphere(2)
    dist = meshes.ray_mesh_far_hit(np.zeros(3), dirs * 1.0, 0.09 * rr, tris)
    assert np.all(dist <= 0.09 + 1e-12) and np.all(dist > 0.085)


def test_signed_depth_matches_brute_force_and_sign():
    rr, tris = meshes.ico_sphere(3)
    rr = rr * 0.08
    rng = np.random.default_rng(0)
    pts = rng.uniform(-0.1, 0.1, (400, 3))
    depth = meshes.signed_depth(pts, rr, tris)
    a, b, c = rr[tris[:, 0]], rr[tris[:, 1]], rr[tris[:, 2]]
    brute = np.array([
        np.linalg.norm(p - meshes.closest_point_on_triangle(p[None], a, b, c), axis=1).min() for p in pts
    ])
    np.testing.assert_allclose(np.abs(depth), brute, atol=1e-12)
    radius = np.linalg.norm(pts, axis=1)
    clear = np.abs(radius - 0.08) > 0.002  # the mesh lies within 1 mm of the sphere
    assert np.array_equal((depth > 0)[clear], (radius < 0.08)[clear])


# --------------------------------------------------------------------------- template subject
def test_template_subject_layout_and_idempotence(subjects_dir):
    sdir = subjects_dir / "fsaverage5"
    expected = [
        "surf/lh.white", "surf/rh.white", "surf/lh.sphere", "surf/rh.sphere", "surf/lh.pial",
        "bem/inner_skull.surf", "bem/outer_skull.surf", "bem/outer_skin.surf",
        "bem/fsaverage5-fiducials.fif", "bem/fsaverage5-trans.fif", "bem/fsaverage5-head.fif",
    ]
    for rel in expected:
        assert (sdir / rel).is_file(), rel
    mtime = (sdir / "surf" / "lh.white").stat().st_mtime_ns
    start = time.perf_counter()
    assert template.write_template_subject(subjects_dir) == sdir
    assert time.perf_counter() - start < 1.0
    assert (sdir / "surf" / "lh.white").stat().st_mtime_ns == mtime
    assert not [p for p in subjects_dir.iterdir() if p.name.startswith(".")]  # no temp left
    rr, tris = mne.read_surface(sdir / "surf" / "lh.white")
    assert rr.shape == (10242, 3) and tris.shape == (20480, 3)
    trans = mne.read_trans(sdir / "bem" / "fsaverage5-trans.fif")
    np.testing.assert_allclose(trans["trans"], template.template_trans()["trans"])
    fids, frame = mne.io.read_fiducials(sdir / "bem" / "fsaverage5-fiducials.fif")
    assert len(fids) == 3 and frame == mne.io.constants.FIFF.FIFFV_COORD_MRI


def test_template_subject_refuses_foreign_folder(tmp_path):
    (tmp_path / "fsaverage5").mkdir()
    with pytest.raises(FileExistsError, match="not a complete"):
        template.write_template_subject(tmp_path)


def test_template_bem_layers_nested():
    surfs = template.template_bem_surfaces(4)
    inner, outer, skin = (surfs[k] for k in ("inner_skull", "outer_skull", "outer_skin"))
    assert len(inner[0]) == 2562 and np.array_equal(inner[1], skin[1])
    gap_skull = meshes.signed_depth(inner[0], *outer)
    gap_scalp = meshes.signed_depth(outer[0], *skin)
    assert gap_skull.min() > 0.002 and gap_scalp.min() > 0.002


def test_template_source_space_is_ico4(template_src):
    assert [s["nuse"] for s in template_src] == [2562, 2562]
    for s in template_src:
        np.testing.assert_array_equal(s["vertno"], np.arange(2562))


def test_cortex_inside_inner_skull(subjects_dir):
    rr, tris = mne.read_surface(subjects_dir / "fsaverage5" / "bem" / "inner_skull.surf")
    cortex = np.concatenate([template.read_fsaverage5_surface("white", h)[0] for h in ("lh", "rh")])
    depth_mm = meshes.signed_depth(cortex, rr, tris)
    assert depth_mm.min() > 3.0  # all 20484 vertices; ico4 sources are deeper still
    assert np.percentile(depth_mm, 1) > 5.0


@pytest.mark.parametrize("name, median_mm, max_mm", [
    ("fsaverage_1005", 4.0, 10.0),   # digitised on fsaverage's own scalp
    ("colin27_1005", 4.0, 20.0),     # a.k.a. standard_1005 (another head)
    ("easycap-M1", 8.0, 30.0),       # idealised spherical layout
])
def test_standard_montages_land_on_scalp(subjects_dir, name, median_mm, max_mm):
    rr, tris = mne.read_surface(subjects_dir / "fsaverage5" / "bem" / "outer_skin.surf")
    dist = np.abs(meshes.signed_depth(_montage_in_mri(name) * 1000.0, rr, tris))
    assert np.median(dist) < median_mm and dist.max() < max_mm


def test_template_bem_and_eeg_forward(subjects_dir, template_bem):
    assert len(template_bem["surfs"]) == 3
    src = mne.setup_source_space(  # coarse, to keep the test fast
        "fsaverage5", spacing="ico3", subjects_dir=subjects_dir, add_dist=False, verbose=False
    )
    montage = mne.channels.make_standard_montage("fsaverage_1005")
    names = [n for n in montage.ch_names if n[-1].isdigit() or n.endswith("z")][::5][:60]
    info = mne.create_info(names, 300.0, "eeg")
    info.set_montage(montage)
    fwd = mne.make_forward_solution(
        info, trans=template.template_trans(), src=src, bem=template_bem,
        meg=False, eeg=True, verbose=False,
    )
    gain = fwd["sol"]["data"]
    assert gain.shape == (len(names), 3 * 1284) and np.all(np.isfinite(gain))


# --------------------------------------------------------------------------- sample head
@pytest.fixture(scope="module")
def sample_fwd(sample_head_cache):
    work = sample_head_cache
    start = time.perf_counter()
    fwd = sample_head.sample_head_forward(SAMPLE_DIR, work)
    return work, fwd, time.perf_counter() - start


@needs_sample
def test_sample_head_forward(sample_fwd):
    work, fwd, _ = sample_fwd
    assert fwd["nsource"] == 5124 and fwd["nchan"] == 366
    assert len(mne.pick_types(fwd["info"], meg=True)) == 306
    assert [s["vertno"].max() for s in fwd["src"]] == [2561, 2561]
    head_mri = mne.transforms.invert_transform(fwd["mri_head_t"])
    pts = np.concatenate([mne.transforms.apply_trans(head_mri, s["rr"][s["vertno"]]) for s in fwd["src"]])
    rr, tris = mne.read_surface(SAMPLE_DIR / "subjects" / "sample" / "bem" / "inner_skull.surf")
    assert meshes.signed_depth(pts * 1000.0, rr, tris).min() >= 5.0 - 1e-6
    # nothing of the sample data is copied into the repository
    assert not list(Path(__file__).resolve().parents[2].glob("**/sample-fsaverage5-*-fwd.fif"))


@needs_sample
def test_sample_head_forward_is_cached(sample_fwd):
    work, fwd, _ = sample_fwd
    cached = sorted(p.name for p in work.glob("*-fwd.fif"))  # other tests share the folder
    assert "sample-fsaverage5-ico4-meg-eeg-fwd.fif" in cached
    start = time.perf_counter()
    again = sample_head.sample_head_forward(SAMPLE_DIR, work)
    assert time.perf_counter() - start < 5.0
    assert sorted(p.name for p in work.glob("*-fwd.fif")) == cached
    np.testing.assert_allclose(again["sol"]["data"], fwd["sol"]["data"], rtol=1e-6)
