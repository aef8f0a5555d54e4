"""Simulated datasets: the embedded demo (template head) and the sample-head variant."""
from __future__ import annotations

import json
import time
from pathlib import Path

import mne
import numpy as np
import pandas as pd
import pytest
from mne_bids import BIDSPath, get_entity_vals, read_raw_bids

from tfmxne_simulation import demo
from tfmxne_simulation import simulate as sim

SAMPLE_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "sample"
N_TRIALS = 12  # per condition and run: enough to test the generator, small to stay fast


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory):
    """A 2-subject, 2-run demo dataset with few trials (built once per session)."""
    root = tmp_path_factory.mktemp("demo_gen") / "bids"
    start = time.perf_counter()
    demo.make_demo_dataset(root, n_subjects=2, seed=3, n_runs=2, n_trials=N_TRIALS)
    return root, time.perf_counter() - start


def _raw(root, subject="01", run="01"):
    bp = BIDSPath(subject=subject, task=demo.TASK, run=run, datatype="meg", root=root)
    return read_raw_bids(bp, verbose="error")


def test_bids_layout_and_reading_back(small_demo):
    root, _ = small_demo
    assert get_entity_vals(root, "subject") == ["01", "02"]
    assert get_entity_vals(root, "run") == ["01", "02"]
    raw = _raw(root)
    types = raw.get_channel_types()
    assert types.count("mag") == 102 and types.count("grad") == 204 and types.count("eeg") == 60
    assert raw.info["sfreq"] == demo.SFREQ
    assert raw.info["dev_head_t"] is not None and raw.get_montage() is not None
    desc = json.loads((root / "dataset_description.json").read_text())
    assert desc["Name"].startswith("tfmxne demo")


def test_events_per_condition(small_demo):
    root, _ = small_demo
    raw = _raw(root, "02", "02")
    events, event_id = mne.events_from_annotations(raw, verbose="error")
    assert set(event_id) == set(demo.EVENT_ID)
    for cond, code in event_id.items():
        assert (events[:, 2] == code).sum() == N_TRIALS, cond
    tsv = pd.read_csv(
        root / "sub-02" / "meg" / "sub-02_task-demo_run-02_events.tsv", sep="\t")
    assert tsv["trial_type"].value_counts().to_dict() == {c: N_TRIALS for c in demo.EVENT_ID}


def test_bad_channels_read_back(small_demo):
    root, _ = small_demo
    raw = _raw(root)
    assert len(raw.info["bads"]) == 3
    assert {raw.get_channel_types([b])[0] for b in raw.info["bads"]} == {"mag", "grad", "eeg"}
    chans = pd.read_csv(root / "sub-01" / "meg" / "sub-01_task-demo_run-01_channels.tsv", sep="\t")
    assert sorted(chans.loc[chans.status == "bad", "name"]) == sorted(raw.info["bads"])


def test_truth_table(small_demo):
    root, _ = small_demo
    for subject in ("01", "02"):
        truth = demo.read_truth(root, subject)
        assert list(truth.columns) == list(demo.TRUTH_COLUMNS)
        assert sorted(truth.condition.unique()) == sorted(demo.EVENT_ID)
        assert (truth.groupby("condition").size() == 2).all()
        assert (truth.vertex >= 2562).all() and (truth.vertex < 10242).all()  # not ico4
        assert truth.amplitude_nAm.between(20, 60).all()
        assert truth.peak_time_s.between(0.05, 0.25).all() and truth.freq_hz.between(10, 25).all()
        # positions are the fsaverage5 white-surface vertices
        from tfmxne_workflow.headmodels.template import read_fsaverage5_surface

        for _, row in truth.iterrows():
            rr = read_fsaverage5_surface("white", row.hemi)[0][row.vertex]
            np.testing.assert_allclose(rr, [row.x_mm, row.y_mm, row.z_mm], atol=1e-3)
    sidecar = demo.truth_path(root, "01").with_suffix(".json")
    assert set(json.loads(sidecar.read_text())) == set(demo.TRUTH_COLUMNS)
    deriv = json.loads((root / "derivatives" / "simulation" / "dataset_description.json").read_text())
    assert deriv["DatasetType"] == "derivative"
    # subjects differ (jitter), conditions differ
    t1, t2 = demo.read_truth(root, "01"), demo.read_truth(root, "02")
    assert not np.array_equal(t1.peak_time_s, t2.peak_time_s)


def test_drift_is_present_and_highpass_removes_it(small_demo):
    root, _ = small_demo
    raw = _raw(root).load_data().pick("eeg", exclude="bads")
    psd = raw.compute_psd(fmin=0.0, fmax=40.0, n_fft=4096, verbose="error")
    freqs, power = psd.freqs, psd.get_data().mean(0)
    slow = power[(freqs > 0) & (freqs < 0.5)].mean()
    band = power[(freqs > 5) & (freqs < 30)].mean()
    assert slow > 100 * band
    filtered = raw.copy().filter(1.0, None, verbose="error").get_data()
    assert np.ptp(filtered, axis=1).mean() < 0.5 * np.ptp(raw.get_data(), axis=1).mean()


def test_evoked_shows_the_bursts(small_demo):
    root, _ = small_demo
    raw = _raw(root).load_data().filter(1.0, None, verbose="error")
    events, event_id = mne.events_from_annotations(raw, verbose="error")
    epochs = mne.Epochs(raw, events, event_id, -0.2, 0.5, baseline=(None, 0), picks="grad",
                        preload=True, verbose="error")
    truth = demo.read_truth(root, "01")
    for cond in event_id:
        evoked = epochs[cond].average()
        gfp = evoked.data.std(0)
        base = gfp[evoked.times < 0].mean()
        t_peak = truth[truth.condition == cond].peak_time_s
        window = (evoked.times > t_peak.min() - 0.05) & (evoked.times < t_peak.max() + 0.05)
        assert gfp[window].max() > 3 * base, cond


def test_determinism_and_idempotence(small_demo, tmp_path):
    root, _ = small_demo
    again = tmp_path / "bids"
    demo.make_demo_dataset(again, n_subjects=1, seed=3, n_runs=1, n_trials=4)
    demo.make_demo_dataset(again, n_subjects=1, seed=3, n_runs=1, n_trials=4)  # no-op
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    # same seed -> same subject 01 sources as the 2-run dataset (sources do not depend on runs)
    pd.testing.assert_frame_equal(demo.read_truth(again, "01"), demo.read_truth(root, "01"))
    other = tmp_path / "other"
    demo.make_demo_dataset(other, n_subjects=1, seed=3, n_runs=1, n_trials=4)
    a = _raw(again, run=None).get_data()
    b = _raw(other, run=None).get_data()
    np.testing.assert_array_equal(a, b)
    with pytest.raises(FileExistsError):  # other parameters: never overwrite
        demo.make_demo_dataset(again, n_subjects=1, seed=4, n_runs=1, n_trials=4)


def test_cli_is_idempotent(small_demo, capsys):
    root, _ = small_demo
    params = json.loads((root / "derivatives" / "simulation" / "generation.json").read_text())
    assert params["parameters"]["n_runs"] == 2
    assert demo.main(["--bids-root", str(root), "--seed", "3", "--n-runs", "2",
                      "--n-trials", str(N_TRIALS)]) == 0
    assert "already complete" in capsys.readouterr().out


def test_generation_time(small_demo):
    _, seconds = small_demo
    assert seconds < 120  # 2 subjects x 2 runs x 12 trials (shared 2-core machine)


def test_morlet_and_pink_noise_helpers():
    times = np.arange(-0.2, 0.5, 1 / 300)
    burst = sim.morlet_burst(times, 15.0, 0.1, 2.0)
    assert np.isclose(np.abs(burst).max(), 2.0, rtol=1e-2)
    assert np.abs(times[np.argmax(burst)] - 0.1) < 1 / 300
    noise = sim.pink_noise(np.random.default_rng(0), 4, 3000, 300.0)
    spec = np.abs(np.fft.rfft(noise, axis=1)) ** 2
    freqs = np.fft.rfftfreq(3000, 1 / 300)
    low, high = spec[:, (freqs > 2) & (freqs < 4)].mean(), spec[:, (freqs > 40) & (freqs < 80)].mean()
    assert 8 < low / high < 40  # ~ 1/f: (60 / 3) = 20


@pytest.mark.sample
@pytest.mark.skipif(not (SAMPLE_DIR / "sample_audvis_short-ave.fif.gz").is_file(),
                    reason=f"MNE sample reference files not found at {SAMPLE_DIR}")
def test_sample_head_dataset(tmp_path_factory, sample_head_cache):
    base = tmp_path_factory.mktemp("sample_head")
    root = demo.make_sample_head_dataset(base / "bids", SAMPLE_DIR, sample_head_cache,
                                         n_subjects=1, seed=0, n_trials=6)
    raw = _raw(root, run=None)
    assert len(mne.pick_types(raw.info, meg=True, exclude=[])) == 306
    assert len(mne.pick_types(raw.info, eeg=True, exclude=[])) == 60
    fwd = mne.read_forward_solution(root / "derivatives" / "forward" / "sub-01" / "sub-01_fwd.fif",
                                    verbose="error")
    assert fwd["nsource"] == 5124
    truth = demo.read_truth(root, "01")
    assert (truth.vertex >= 2562).all()
    # truth positions are in the forward's MRI frame: each within ~4 mm of an ico4 source
    head_mri = mne.transforms.invert_transform(fwd["mri_head_t"])
    pos = np.concatenate([mne.transforms.apply_trans(head_mri, s["rr"][s["vertno"]])
                          for s in fwd["src"]]) * 1000
    for _, row in truth.iterrows():
        d = np.linalg.norm(pos - [row.x_mm, row.y_mm, row.z_mm], axis=1).min()
        assert 0.1 < d < 6.0
    assert not list(Path(__file__).resolve().parents[2].glob("**/sub-01_fwd.fif"))
