"""What ``dspm.weights: auto`` and ``tfmxne.alpha: auto`` mean for a recording.

The localisation benchmark (``benchmarks/bench_localisation.py``, docs/localisation.md)
has a different winner by data type: with MEG channels (the real sample head, MEG+EEG)
no dSPM weights with ``alpha: noise`` (``noise_margin`` 1.6) score the best F1, and the
schema's ``noise_floor`` 30 keeps weak spurious sources out of high-SNR data (docs/
localisation.md says what it costs); with EEG only (the template head) the dSPM weights
with alpha chosen by SURE win. ``auto`` takes the winner for the channels that are
solved, so one default serves both. The plan decides it once per recording, from its
channel types, before any job runs; so a recording solved without weights has no dSPM job.
"""
from __future__ import annotations

#: The benchmark's winner (``dspm.weights``, ``tfmxne.alpha``) by modality, and its name
#: in the benchmark's table.
AUTO_SETTINGS = {
    "meg": {"weights": False, "alpha": "noise", "benchmark": "noprior-noise1.6-floor30"},
    "eeg": {"weights": True, "alpha": "sure", "benchmark": "dspm-wmin8-sure-baseline"},
}


def modality(channel_types) -> str:
    """``'meg'`` when the good channels that are solved include MEG sensors, else ``'eeg'``.

    ``channel_types``: the MNE types (``'grad'``, ``'mag'``, ``'eeg'``) of those channels.
    """
    return "meg" if {"grad", "mag"} & set(channel_types) else "eeg"


def good_channel_types(info) -> list:
    """The MNE types of the good MEG and EEG channels of an ``mne.Info``, sorted."""
    import mne

    return sorted(set(info.get_channel_types(mne.pick_types(info, meg=True, eeg=True, exclude="bads"))))


def resolve(weights, alpha, kind: str) -> tuple[bool, float | str, str | None]:
    """The ``weights`` and ``alpha`` to use, with ``auto`` replaced for ``kind`` data.

    Returns ``(weights, alpha, note)``; ``note`` says what ``auto`` chose and why (None
    when neither key is ``auto``).
    """
    if "auto" not in (weights, alpha):
        return bool(weights), alpha, None
    chosen = AUTO_SETTINGS[kind]
    picked = []
    if weights == "auto":
        weights = chosen["weights"]
        picked.append("dSPM weights" if weights else "no dSPM weights")
    if alpha == "auto":
        alpha = chosen["alpha"]
        picked.append(f"alpha {alpha}" if isinstance(alpha, str) else f"alpha {alpha:g} %")
    data = "MEG data" if kind == "meg" else "EEG-only data"
    note = (f"auto for {data}: {', '.join(picked)} (the localisation benchmark's winner for "
            f"{data}, {chosen['benchmark']})")
    return bool(weights), alpha, note
