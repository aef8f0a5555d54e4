"""What the report says about a solve's stabilities (stages/report.py)."""
from tfmxne_workflow.plan.config import resolve
from tfmxne_workflow.plan.settings import Settings
from tfmxne_workflow.stages import report


def _record(resampling, modality):
    return {"resampling": resampling, "stability": {"n_resamples": 10}, "modality": modality}


def test_the_stability_text_says_what_was_resampled():
    assert report.stability_text(_record("trial halves", "meg")) == (
        "Stability over 10 resamples: the averages of random halves of the trials.")
    assert "a draw of its noise" in report.stability_text(_record("noise", "meg"))


def test_eeg_only_stabilities_come_with_the_benchmark_s_warning():
    assert report.EEG_STABILITY not in report.stability_text(_record("noise", "meg"))
    assert report.stability_text(_record("noise", "eeg")).endswith(report.EEG_STABILITY)


def test_the_solve_view_carries_the_modality_into_the_record():
    settings = Settings(resolve({"bids_root": "", "task": ""})[0])
    assert settings.solve("eeg")["modality"] == "eeg" and settings.solve("meg")["modality"] == "meg"
