"""``dspm.weights: auto`` and ``tfmxne.alpha: auto``: the benchmark's winner for the solved channels."""
import mne
import pytest
import yaml

from tfmxne_workflow.plan.auto import AUTO_SETTINGS, good_channel_types, modality, resolve
from tfmxne_workflow.plan.config import SCHEMA, cross_key_errors, load_schema, with_defaults


def _info(types, bads=()):
    info = mne.create_info([f"{t}{k}" for k, t in enumerate(types)], 100.0, list(types))
    info["bads"] = [info.ch_names[k] for k in bads]
    return info


def test_modality_follows_the_good_data_channels():
    assert modality(good_channel_types(_info(["mag", "grad", "eeg"]))) == "meg"
    assert modality(good_channel_types(_info(["grad"]))) == "meg"
    assert modality(good_channel_types(_info(["eeg", "eeg", "eog"]))) == "eeg"
    assert good_channel_types(_info(["mag", "eeg"], bads=[0])) == ["eeg"]  # the only MEG channel is bad
    assert modality(["eeg"]) == "eeg" and modality(["eeg", "mag"]) == "meg"


@pytest.mark.parametrize(("types", "kind"), [(["mag", "eeg"], "meg"), (["eeg"], "eeg")])
def test_auto_takes_the_winner_for_the_data(types, kind):
    weights, alpha, note = resolve("auto", "auto", modality(types))
    assert (weights, alpha) == (AUTO_SETTINGS[kind]["weights"], AUTO_SETTINGS[kind]["alpha"])
    assert AUTO_SETTINGS[kind]["benchmark"] in note


def test_explicit_values_are_kept():
    assert resolve(True, 40.0, "meg") == (True, 40.0, None)
    assert resolve(False, "sure", "eeg") == (False, "sure", None)
    weights, alpha, note = resolve(True, "auto", "meg")
    assert (weights, alpha) == (True, AUTO_SETTINGS["meg"]["alpha"])
    assert "dSPM" not in note  # only what auto chose is named


def test_the_defaults_are_auto_and_the_schema_says_what_auto_means():
    config = with_defaults({}, load_schema(SCHEMA))
    assert config["dspm"]["weights"] == "auto" and config["tfmxne"]["alpha"] == "auto"
    schema = yaml.safe_load(SCHEMA.read_text())
    alpha_text = schema["properties"]["tfmxne"]["properties"]["alpha"]["description"]
    alpha_text = " ".join(alpha_text.split())
    assert f"{AUTO_SETTINGS['meg']['alpha']} when they include MEG" in alpha_text
    assert f"{AUTO_SETTINGS['eeg']['alpha']} for EEG-only" in alpha_text
    weights_text = " ".join(schema["properties"]["dspm"]["properties"]["weights"]["description"].split())
    assert "no weights when they include MEG" in weights_text and not AUTO_SETTINGS["meg"]["weights"]
    assert "weights for EEG-only data" in weights_text and AUTO_SETTINGS["eeg"]["weights"]


def test_auto_alpha_needs_a_single_solve():
    config = with_defaults({"tfmxne": {"n_tfmxne_iter": 10}}, load_schema(SCHEMA))
    assert any("tfmxne.alpha: auto needs tfmxne.n_tfmxne_iter: 1" in p for p in cross_key_errors(config))
    config = with_defaults({"tfmxne": {"n_tfmxne_iter": 10, "alpha": 40}}, load_schema(SCHEMA))
    assert not any("n_tfmxne_iter" in p for p in cross_key_errors(config))
