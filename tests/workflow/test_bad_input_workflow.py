"""Bad input through the workflow: exit status 1, one message, nothing written.

Every case is one Snakemake run on a (corrupted copy of the) tiny dataset. The runs
start concurrently from one fixture: most of a Snakemake start is waiting, not
computing, so they take about as long as the slowest of them.
"""
import re
import shutil
from concurrent.futures import ThreadPoolExecutor

import mne
import pandas as pd
import pytest
import yaml
from conftest import DEMO_CONFIG, remove_eeg_positions, repeat_an_event, run_snakemake

from tfmxne_workflow.stages import ingest

RAW = "sub-01/meg/sub-01_task-tiny_run-02_meg.fif"
CHANNELS = "sub-01/meg/sub-01_task-tiny_run-02_channels.tsv"
EPOCHS = "sub-01/meg/sub-01_task-tiny_epo.fif"


def _edit_data(root, edit):
    fname = root / RAW
    raw = mne.io.read_raw_fif(fname, preload=True, verbose="error")
    edit(raw)
    raw.save(fname, overwrite=True, verbose="error")


def _set(raw, ch, index, value):
    raw._data[raw.ch_names.index(ch), index] = value


def _all_bad(root):
    tsv = pd.read_csv(root / CHANNELS, sep="\t", dtype=str, keep_default_na=False)
    tsv["status"] = "bad"
    tsv.to_csv(root / CHANNELS, sep="\t", index=False)


def _no_events(root):
    for f in root.glob("sub-01/meg/*_events.tsv"):
        f.unlink()


def _truncate(root):
    with open(root / RAW, "r+b") as f:
        f.truncate(50_000)


def _eeg_forward(root, folder):
    """An EEG-only sphere-model forward: it lacks the 4 magnetometers of the data."""
    info = ingest.read_raw(root / RAW).info
    sphere = mne.make_sphere_model("auto", "auto", info, verbose="error")
    src = mne.setup_volume_source_space(pos=30.0, sphere=sphere, verbose="error")
    fwd = mne.make_forward_solution(info, trans=None, src=src, bem=sphere, meg=False, eeg=True, verbose="error")
    mne.write_forward_solution(folder / "sub-01-fwd.fif", fwd, overwrite=True, verbose="error")


#: name -> (dataset change, config, job target (None: dry run), message parts)
CASES = {
    "config_typo": (None, {"tfmxne": {"alpah": 3}}, None, [
        "Error: the configuration has a problem:",
        "tfmxne.alpah is not a configuration key; did you mean 'alpha'?"]),
    "config_range": (None, {"tfmxne": {"alpha": 150, "l1_ratio": 1.5}}, None, [
        "tfmxne.alpha = 150 is not allowed; expected a number >= 0 and < 100, or one of 'noise', 'sure', 'auto'",
        "tfmxne.l1_ratio = 1.5 is not allowed; expected a number >= 0 and <= 1"]),
    "config_crop": (None, {"crop": {"tmin": -0.3}}, None, [
        "the reported window crop.tmin..tmax (-0.3..0.3 s) must lie inside the solve window"]),
    "bids_root_missing": (None, {"bids_root": "{tmp}/nowhere"}, None, [
        "Error: bids_root '{tmp}/nowhere' does not exist"]),
    "not_bids": (lambda root, tmp: (root / "dataset_description.json").unlink(), {}, None, [
        "is not a BIDS dataset (no dataset_description.json)"]),
    "subject": (None, {"subjects": ["02"]}, None, [
        "Error: subjects ['02'] not found in the dataset; it has subjects: ['01']"]),
    "condition": (None, {"conditions": ["tone"]}, None, [
        "Error: conditions (trial_type) of sub-01 task-tiny ['tone'] not found in the dataset; it has conditions "
        "(trial_type) of sub-01 task-tiny: ['Left visual', 'auditory/left']; set conditions"]),
    "no_events": (lambda root, tmp: _no_events(root), {}, None, [
        "Error: No events found for sub-01 task-tiny"]),
    "ch_types": (None, {"preprocessing": {"ch_types": ["grad"]}}, None, [
        "Error: channel types ['grad'] requested (preprocessing.ch_types) but"]),
    "all_bad": (lambda root, tmp: _all_bad(root), {}, None, [
        "Error: all 23 mag/eeg channels are marked bad in {bids}/" + CHANNELS]),
    "no_positions": (lambda root, tmp: remove_eeg_positions(root), {}, None, [
        "Error: 18 good EEG channel(s) of sub-01 (sub-01_task-tiny_run-01_meg.fif) have no position: Fp1, Fp2",
        "set preprocessing.montage to the cap's layout"]),
    "repeated_event": (lambda root, tmp: repeat_an_event(root), {}, None, [
        "Error: sub-01 (sub-01_task-tiny_run-02_events.tsv) has 1 sample(s) with more than one event of the "
        "analysed conditions: 3.000 s (auditory/left, Left visual)",
        "set preprocessing.event_repeated to 'drop'"]),
    "empty_room": (None, {"noise_cov": {"source": "empty_room"}}, None, [
        "Error: noise_cov.source is 'empty_room' but no empty-room recording is associated with",
        "add one to the dataset or set noise_cov.source: baseline"]),
    "forward_missing": (None, {"forward": {"source": "precomputed", "fname": "{tmp}/fwd/sub-{subject}-fwd.fif"}},
                        None, ["resolves to no file for:\n  - sub-01: {tmp}/fwd/sub-01-fwd.fif"]),
    "forward_channels": (lambda root, tmp: _eeg_forward(root, tmp),
                         {"forward": {"source": "precomputed", "fname": "{tmp}/sub-{subject}-fwd.fif"}}, None, [
                             "lacks 4 channel(s) that sub-01 has: MEG0111, MEG0121, MEG0131, MEG0141"]),
    # found inside a job
    "flat": (lambda root, tmp: _edit_data(root, lambda raw: _set(raw, "Cz", slice(None), 0.0)), {}, EPOCHS, [
        "Error: {bids}/sub-01/meg/sub-01_task-tiny_run-02_meg.fif: flat channel(s) (no signal): Cz; mark them "
        "bad in sub-01_task-tiny_run-02_channels.tsv"]),
    "nan": (lambda root, tmp: _edit_data(root, lambda raw: _set(raw, "Pz", 100, float("nan"))), {}, EPOCHS, [
        "the data contain NaN or Inf values in 1 channel(s): Pz"]),
    "truncated": (lambda root, tmp: _truncate(root), {}, EPOCHS, [
        "Error: The raw file {bids}/sub-01/meg/sub-01_task-tiny_run-02_meg.fif is truncated or corrupt"]),
    "zero_epochs": (None, {"preprocessing": {"reject": {"eeg": 1e-9}}}, EPOCHS, [
        "Error: Condition(s) ['Left visual', 'auditory/left'] have no epochs left",
        "preprocessing.reject {'eeg': 1e-09} rejected them"]),
}


def _run_case(name, tiny_bids, tmp):
    change, config, target, _ = CASES[name]
    bids = shutil.copytree(tiny_bids, tmp / "bids")
    if change:
        change(bids, tmp)
    deriv = tmp / "deriv"
    config = {"bids_root": str(bids), "deriv_root": str(deriv), "task": "tiny", **config}
    (tmp / "config.yaml").write_text(yaml.safe_dump(config).replace("{tmp}", str(tmp)))
    args = ["--cores", "1", str(deriv / target)] if target else ["-n"]
    proc = run_snakemake(*args, "--configfile", str(tmp / "config.yaml"), workdir=tmp, check=False, timeout=300)
    return {"proc": proc, "bids": bids, "deriv": deriv, "tmp": tmp}


@pytest.fixture(scope="module")
def runs(tiny_bids, tmp_path_factory):
    tmps = {name: tmp_path_factory.mktemp(name) for name in CASES}
    with ThreadPoolExecutor(max_workers=8) as pool:
        futures = {name: pool.submit(_run_case, name, tiny_bids, tmps[name]) for name in CASES}
        return {name: future.result() for name, future in futures.items()}


PARSE = [name for name, case in CASES.items() if case[2] is None]
JOB = [name for name, case in CASES.items() if case[2] is not None]


def _output(run):
    return run["proc"].stdout + run["proc"].stderr


def _expected(name, run):
    return [m.replace("{tmp}", str(run["tmp"])).replace("{bids}", str(run["bids"])) for m in CASES[name][3]]


@pytest.mark.parametrize("name", PARSE)
def test_found_before_any_job(runs, name):
    run = runs[name]
    out = _output(run)
    assert run["proc"].returncode == 1, out
    for message in _expected(name, run):
        assert message in out
    assert "Traceback" not in out and 'File "' not in out
    assert out.count("Error") == 1, out  # one message
    assert not run["deriv"].exists()


def test_only_the_configfile_given_is_read(tiny_bids, tmp_path):
    """No file's values sit under the user's: not the config.yaml of the folder Snakemake runs in
    (the demo's here, where a ``configfile: "config.yaml"`` directive would read it).
    """
    shutil.copy(DEMO_CONFIG, tmp_path / "config.yaml")
    user = tmp_path / "user.yaml"
    user.write_text(f"bids_root: {tiny_bids}\nderiv_root: {tmp_path / 'deriv'}\n")  # no task
    for args, missing in ((["--configfile", str(user)], ["task"]), ([], ["bids_root", "task"])):
        proc = run_snakemake("-n", *args, workdir=tmp_path, check=False, timeout=300)
        out = proc.stdout + proc.stderr
        assert proc.returncode == 1, out
        assert re.findall(r"- (\w+) is required \(it has no default\)", out) == missing, out
        assert "Fix it in your --configfile (start from a copy of config.yaml)" in out
        assert "'demo'" not in out and not (tmp_path / "deriv").exists()


@pytest.mark.parametrize("name", JOB)
def test_found_in_a_job(runs, name):
    run = runs[name]
    out = _output(run)
    assert run["proc"].returncode != 0, out
    for message in _expected(name, run):
        assert message in out
    assert "Traceback" not in out  # the traceback is in the log only
    assert ".py" not in out.split("Error in rule", 1)[1].split("log:", 1)[0]  # data, not code paths
    log = run["deriv"] / "logs" / "epochs" / "sub-01.log"
    assert _expected(name, run)[-1].replace("Error: ", "") in log.read_text()
    products = [p for p in run["deriv"].rglob("*")
                if p.is_file() and not {"logs", "benchmarks"} & set(p.relative_to(run["deriv"]).parts)]
    assert products == []
