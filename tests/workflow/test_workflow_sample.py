"""End to end on a dataset simulated on the real MNE sample head (precomputed forward):
the true sources are found within 10 mm with the defaults.
"""
import pandas as pd
import pytest
from conftest import SAMPLE_DIR, run_snakemake

from tfmxne_workflow.stages.metrics import localisation_errors, spurious_count

pytestmark = [
    pytest.mark.slow, pytest.mark.sample,
    pytest.mark.skipif(not SAMPLE_DIR.is_dir(), reason=f"real sample head data not found at {SAMPLE_DIR}"),
]

RADIUS_MM = 10.0


def _config(bids_root, task, extra=""):
    return (f"bids_root: {bids_root}\ntask: {task}\n"
            "forward:\n  source: precomputed\n"
            f"  fname: '{bids_root}/derivatives/forward/sub-{{subject}}/sub-{{subject}}_fwd.fif'\n"
            + extra)


@pytest.fixture(scope="module")
def sample_run(tmp_path_factory, sample_head_cache):
    from mne_bids import get_entity_vals

    from tfmxne_simulation.demo import make_sample_head_dataset

    workdir = tmp_path_factory.mktemp("sample_run")
    bids_root = workdir / "bids"
    make_sample_head_dataset(bids_root, SAMPLE_DIR, sample_head_cache, n_subjects=1, seed=0)
    (task,) = get_entity_vals(bids_root, "task")
    configfile = workdir / "config.yaml"
    configfile.write_text(_config(bids_root, task))
    run_snakemake("--cores", "2", "--configfile", str(configfile), workdir=workdir)
    return {"bids_root": bids_root, "task": task}


def _errors(bids_root):
    """Per estimate: the localisation error of each true source and the spurious count."""
    deriv = bids_root / "derivatives" / "tfmxne"
    out = []
    for truth_file in (bids_root / "derivatives" / "simulation").glob("sub-*/*_desc-truth_sources.tsv"):
        subject = truth_file.parent.name
        truth = pd.read_csv(truth_file, sep="\t")
        for sources_file in (deriv / subject).glob("*/*_sources.tsv"):
            sources = pd.read_csv(sources_file, sep="\t")
            assert len(sources), f"{sources_file.name}: no active source"
            condition = str(sources["condition"].iloc[0])
            errors = localisation_errors(sources, truth, condition)
            assert len(errors), f"no truth for condition {condition!r}"
            out.append((sources_file.name, errors["error_mm"].to_numpy(),
                        spurious_count(sources, truth, condition, RADIUS_MM)))
    assert out, "no estimate to check"
    return out


def test_sample_head_sources_found_within_10_mm(sample_run):
    """The defaults (auto: no dSPM weights, alpha: noise) find every true source, with at most 2
    estimates farther than 10 mm from all of them per condition.
    """
    for name, errors, spurious in _errors(sample_run["bids_root"]):
        assert (errors <= RADIUS_MM).all(), (name, errors)
        assert spurious <= 2, (name, spurious)
