"""End to end on a dataset simulated on the real MNE sample head (precomputed forward):
the true sources are found within 10 mm."""
import pandas as pd
import pytest

from conftest import SAMPLE_DIR, run_snakemake
from tfmxne.pipeline.metrics import localisation_errors

pytestmark = [pytest.mark.slow, pytest.mark.sample]


@pytest.mark.skipif(not SAMPLE_DIR.is_dir(), reason=f"real sample head data not found at {SAMPLE_DIR}")
def test_sample_head_sources_found_within_10_mm(tmp_path, sample_head_cache):
    from mne_bids import get_entity_vals

    from tfmxne.pipeline.demo import make_sample_head_dataset

    bids_root = tmp_path / "bids"
    make_sample_head_dataset(bids_root, SAMPLE_DIR, sample_head_cache, n_subjects=1, seed=0)
    (task,) = get_entity_vals(bids_root, "task")
    configfile = tmp_path / "config.yaml"
    configfile.write_text(
        f"bids_root: {bids_root}\ntask: {task}\n"
        "forward:\n  source: precomputed\n"
        f"  fname: '{bids_root}/derivatives/forward/sub-{{subject}}/sub-{{subject}}_fwd.fif'\n"
    )
    run_snakemake("--cores", "2", "--configfile", str(configfile), workdir=tmp_path)
    deriv = bids_root / "derivatives" / "tfmxne"
    checked = 0
    for truth_file in (bids_root / "derivatives" / "simulation").glob("sub-*/*_desc-truth_sources.tsv"):
        subject = truth_file.parent.name
        truth = pd.read_csv(truth_file, sep="\t")
        for sources_file in (deriv / subject).glob("*/*_sources.tsv"):
            sources = pd.read_csv(sources_file, sep="\t")
            condition = str(sources["condition"].iloc[0]) if len(sources) else None
            assert condition is not None, f"{sources_file.name}: no active source"
            errors = localisation_errors(sources, truth, condition)
            assert len(errors), f"no truth for condition {condition!r}"
            assert (errors["error_mm"] <= 10.0).all(), errors
            checked += len(errors)
    assert checked > 0
