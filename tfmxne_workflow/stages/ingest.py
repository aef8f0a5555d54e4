"""Ingestion: BIDS raw runs -> filtered, epoched, averaged data (one evoked per condition)."""
from __future__ import annotations

import logging
from pathlib import Path

import mne
import numpy as np

from ..dataset import channels_tsv
from ..errors import BadInput, shown_names

logger = logging.getLogger(__name__)

#: Channel types the inverse problem uses.
DATA_CH_TYPES = ("grad", "mag", "eeg")


def read_raw(raw_file):
    """Read one run with mne-bids (channel types, bad channels and events from sidecars).

    Parameters
    ----------
    raw_file : str | Path
        The run's raw file inside a BIDS dataset (the root is inferred from the path).

    Returns
    -------
    raw : mne.io.Raw
        Not preloaded.

    Raises
    ------
    ValueError
        When the file is missing, cannot be read, or is truncated (MNE reads a
        truncated FIF file up to the break with an 'Invalid tag' warning).
    """
    import warnings

    from mne_bids import get_bids_path_from_fname, read_raw_bids

    if not Path(raw_file).exists():
        raise ValueError(f"The raw file {raw_file} does not exist (a broken link? run `datalad get` on it)")
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            raw = read_raw_bids(get_bids_path_from_fname(raw_file), verbose="warning")
    except Exception as err:
        raise ValueError(
            f"Could not read the raw file {raw_file}: {type(err).__name__}: {err}; the file is "
            "corrupt or truncated: copy it again from its source"
        ) from err
    broken = [str(w.message) for w in caught if _TRUNCATED in str(w.message)]
    if broken:
        raise ValueError(
            f"The raw file {raw_file} is truncated or corrupt (MNE: {broken[0]}); only "
            f"{raw.times[-1] if raw.n_times else 0:.1f} s could be read: copy it again from its source"
        )
    for w in caught:
        if _TRUNCATED not in str(w.message):
            logger.debug("mne-bids: %s", w.message)
    return raw


#: Start of MNE's warning for a FIF file that ends in the middle of a tag.
_TRUNCATED = "Invalid tag with only"


def expand_ch_types(ch_types, info) -> list:
    """Resolve the configured channel types against what ``info`` has.

    Parameters
    ----------
    ch_types : None | list of str
        ``None`` for every data type present (grad, mag, eeg); ``'meg'`` stands for
        grad and mag.
    info : mne.Info
        Measurement info of the data.

    Returns
    -------
    types : list of str
        Subset of ``('grad', 'mag', 'eeg')``.
    """
    present = [t for t in DATA_CH_TYPES if t in info.get_channel_types(unique=True)]
    if ch_types is None:
        if not present:
            raise ValueError("The data have no MEG or EEG channels")
        return present
    expanded = {t: ["grad", "mag"] if t == "meg" else [t] for t in ch_types}
    absent = [t for t, types in expanded.items() if not set(types) & set(present)]
    if absent:
        raise ValueError(
            f"Channel types {absent} requested (preprocessing.ch_types) but the data have "
            f"only {present}"
        )
    return [t for t in present if any(t in types for types in expanded.values())]


def make_montage(name):
    """MNE's built-in montage ``name`` (``preprocessing.montage``); BadInput for another name."""
    try:
        return mne.channels.make_standard_montage(name)
    except ValueError as err:
        raise BadInput(
            f"preprocessing.montage {name!r} is not one of MNE's built-in montages; set it to one of "
            f"{', '.join(mne.channels.get_builtin_montages())} (or null for the recording's positions)"
        ) from err


def apply_montage(raw, montage) -> None:
    """Set the EEG positions of ``raw`` (in place) from ``preprocessing.montage`` (None: keep them).

    Channels match by name, ignoring case. EEG channels the montage lacks are left without
    a position rather than refused here (``on_missing='ignore'``): the channels the forward
    model needs are checked, and named, by :func:`measurement_info`. Data without EEG are
    left as they are (a montage would replace their digitisation).
    """
    if montage and "eeg" in raw.get_channel_types(unique=True):
        raw.set_montage(make_montage(montage), match_case=False, on_missing="ignore", verbose="error")


def unplaced_eeg(info) -> list:
    """The EEG channels of ``info`` without a position (``loc[:3]`` NaN or all zero), bad ones too."""
    chs = [info["chs"][k] for k in mne.pick_types(info, meg=False, eeg=True, exclude=[])]
    return [ch["ch_name"] for ch in chs if not np.isfinite(ch["loc"][:3]).all() or not ch["loc"][:3].any()]


def no_position_message(names, where, montage) -> str:
    """What to do about good EEG channels ``names`` of ``where`` that have no position."""
    text = f"{len(names)} good EEG channel(s) of {where} have no position: {shown_names(names)}; "
    if montage:
        return text + (f"preprocessing.montage {montage!r} does not have them: set it to the montage of "
                       "the cap, or mark them bad in *_channels.tsv (status 'bad')")
    return text + ("the forward model needs them: set preprocessing.montage to the cap's layout (one of "
                   "MNE's built-in montages, e.g. colin27_1020 or colin27_1005), add their positions "
                   "to the dataset (*_electrodes.tsv), or mark them bad in *_channels.tsv (status 'bad')")


def preprocess_raw(raw, ch_types, l_freq, h_freq, montage=None):
    """Pick data channels, set the montage, filter and add the EEG average reference projection.

    Parameters
    ----------
    raw : mne.io.Raw
        A run (loaded here).
    ch_types : None | list of str
        See :func:`expand_ch_types`.
    l_freq, h_freq : float | None
        Band edges of the FIR filter in Hz (``None``: no high-/low-pass).
    montage : None | str
        See :func:`apply_montage`.

    Returns
    -------
    raw : mne.io.Raw
        Filtered copy holding only the selected channel types (bad ones included, marked).
    """
    types = expand_ch_types(ch_types, raw.info)
    try:
        raw = raw.copy().load_data(verbose="error")
    except Exception as err:
        raise ValueError(
            f"Could not load the data of {raw.filenames[0]}: {type(err).__name__}: {err}; the file "
            "is corrupt or truncated: copy it again from its source"
        ) from err
    raw.pick(types, exclude=[])
    apply_montage(raw, montage)
    check_data(raw)
    if l_freq is not None or h_freq is not None:
        raw.filter(l_freq, h_freq, picks="data", verbose="error")
    if "eeg" in types and not has_average_reference(raw.info):
        raw.set_eeg_reference("average", projection=True, verbose="error")
    return raw


def check_data(raw, flat_ratio=1e-4):
    """Refuse data the inverse cannot use: NaN/Inf, flat good channels, no good channel.

    Parameters
    ----------
    raw : mne.io.Raw
        Loaded, holding only data channels.
    flat_ratio : float
        A good channel whose standard deviation is below ``flat_ratio`` times the
        median of its channel type (zero included) is flat.

    Raises
    ------
    ValueError
        Naming the channels and what to do about them.
    """
    fname = raw.filenames[0] if raw.filenames and raw.filenames[0] else "the data"
    channels = channels_tsv(fname).name if fname != "the data" else "*_channels.tsv"
    bads = set(raw.info["bads"])
    if set(raw.ch_names) <= bads:
        raise ValueError(
            f"{fname}: all {len(raw.ch_names)} channels are marked bad in *_channels.tsv; "
            "set the status of the usable ones to 'good' (or choose other preprocessing.ch_types)"
        )
    data = raw.get_data()
    finite = np.isfinite(data)
    if not finite.all():
        names = [ch for ch, ok in zip(raw.ch_names, finite.all(axis=1)) if not ok]
        raise ValueError(
            f"{fname}: the data contain NaN or Inf values in {len(names)} channel(s): {shown_names(names)}; "
            f"mark them bad in {channels} (status 'bad') or repair the recording"
        )
    std = data.std(axis=1)
    types = np.array(raw.get_channel_types())
    good = np.array([ch not in bads for ch in raw.ch_names])
    flat = []
    for kind in np.unique(types):
        sel = (types == kind) & good
        if sel.any():
            median = np.median(std[sel])
            flat += [ch for ch, s, ok in zip(raw.ch_names, std, sel) if ok and s <= flat_ratio * median]
    if flat:
        raise ValueError(
            f"{fname}: flat channel(s) (no signal): {shown_names(flat)}; mark them bad in "
            f"{channels} (status 'bad') and run again"
        )


def has_average_reference(info) -> bool:
    """Whether the info has an EEG average reference projector."""
    return any("Average EEG reference" in p["desc"] for p in info["projs"])


def repeated_events_message(where, repeats) -> str:
    """What to do about events of ``where`` that share a sample.

    ``repeats``: ``[(onset s, [trial types])]`` (:func:`tfmxne_workflow.dataset.repeated_events`).
    """
    shown = shown_names([f"{onset:.3f} s ({', '.join(types)})" for onset, types in repeats], limit=5)
    return (f"{where} has {len(repeats)} sample(s) with more than one event of the analysed conditions: "
            f"{shown}; an epoch needs one event per sample: set preprocessing.event_repeated to 'drop' "
            "(keep the first event of each sample) or 'merge' (one epoch, counted in each of its "
            "conditions), or remove the repeated rows from the events.tsv")


def epoch_run(raw, labels: dict, tmin, tmax, baseline, reject, decim=1, event_repeated="error"):
    """Cut one preprocessed run into epochs around its events.

    Parameters
    ----------
    raw : mne.io.Raw
        Output of :func:`preprocess_raw`, with annotations from ``*_events.tsv``.
    labels : dict
        Safe condition label -> trial type (see :func:`tfmxne_workflow.dataset.condition_labels`).
        The epochs' event ids are the labels, numbered in this order.
    tmin, tmax : float
        Epoch window in s relative to the events.
    baseline : tuple
        Baseline interval passed to :class:`mne.Epochs`.
    reject : dict | None
        Peak-to-peak rejection thresholds by channel type; types the data lack are ignored.
    decim : int
        Decimation factor.
    event_repeated : 'error' | 'drop' | 'merge'
        What to do with events on one sample (:class:`mne.Epochs`); ``'error'`` raises
        :func:`repeated_events_message`.

    Returns
    -------
    epochs : mne.Epochs | None
        None when the run has none of the conditions.
    """
    codes = {trial_type: i + 1 for i, trial_type in enumerate(labels.values())}
    present = set(raw.annotations.description)
    wanted = {t: c for t, c in codes.items() if t in present}
    if not wanted:
        return None
    events, _ = mne.events_from_annotations(raw, event_id=wanted, verbose="error")
    event_id = {label: codes[t] for label, t in labels.items() if t in wanted}
    samples, counts = np.unique(events[:, 0], return_counts=True)
    if event_repeated == "error" and (counts > 1).any():
        names = {c: t for t, c in codes.items()}
        repeats = [((s - raw.first_samp) / raw.info["sfreq"], [names[c] for c in events[events[:, 0] == s, 2]])
                   for s in samples[counts > 1]]
        raise BadInput(repeated_events_message(raw.filenames[0], repeats))
    types = raw.get_channel_types(unique=True)
    reject = {k: v for k, v in (reject or {}).items() if k in types} or None
    return mne.Epochs(
        raw, events, event_id=event_id, tmin=tmin, tmax=tmax, baseline=tuple(baseline) if baseline else None,
        reject=reject, decim=decim, preload=True, on_missing="ignore", event_repeated=event_repeated,
        verbose="error",
    )


def make_epochs(raw_files, labels, *, ch_types, l_freq, h_freq, tmin, tmax,
                baseline, reject, decim=1, montage=None, event_repeated="error"):
    """Read, preprocess and epoch every run of a recording, then concatenate them.

    Parameters
    ----------
    raw_files : list of str | Path
        One raw file per run.
    labels : dict
        Safe condition label -> trial type.
    ch_types, l_freq, h_freq, tmin, tmax, baseline, reject, decim, montage, event_repeated
        See :func:`preprocess_raw` and :func:`epoch_run`.

    Returns
    -------
    epochs : mne.Epochs
        All runs; every condition has at least one epoch (else ``ValueError``).
    """
    per_run, dropped = [], {}
    for raw_file in raw_files:
        raw = preprocess_raw(read_raw(raw_file), ch_types, l_freq, h_freq, montage)
        epochs = epoch_run(raw, labels, tmin, tmax, baseline, reject, decim, event_repeated)
        if epochs is not None:
            for log in epochs.drop_log:
                for reason in log:
                    dropped[reason] = dropped.get(reason, 0) + 1
        if epochs is not None and len(epochs):
            per_run.append(epochs)
            logger.info("%s: %d epochs kept", raw_file, len(epochs))
    files = [Path(f).name for f in raw_files]
    if not per_run:
        counts = {label: 0 for label in labels}
    else:
        epochs = per_run[0] if len(per_run) == 1 else mne.concatenate_epochs(per_run, on_mismatch="warn", verbose="error")
        counts = {label: len(epochs[label]) if label in epochs.event_id else 0 for label in labels}
    empty = [labels[label] for label, n in counts.items() if n == 0]
    if empty:
        raise ValueError(
            f"Condition(s) {empty} have no epochs left in {files} (epochs per condition: {counts}); "
            + _why_dropped(dropped, reject)
        )
    return epochs


def _why_dropped(dropped, reject) -> str:
    """How to get epochs back, from the drop log's reasons."""
    if not dropped:
        return "the runs have no events of these conditions in the epoch window; drop the condition"
    top = sorted(dropped.items(), key=lambda kv: -kv[1])[:5]
    reasons = ", ".join(f"{reason} ({n})" for reason, n in top)
    channels = [r for r, _ in top if r not in ("NO_DATA", "TOO_SHORT", "IGNORED", "USER")]
    text = f"epochs were dropped for: {reasons}. "
    if channels:
        text += (
            f"The peak-to-peak rejection thresholds preprocessing.reject {reject} rejected them; "
            "raise the thresholds (or set preprocessing.reject: null), or mark the channels that "
            "cause most rejections bad in *_channels.tsv"
        )
    else:
        text += "The events are too close to the recording's edges for preprocessing.tmin..tmax; shorten the epoch"
    return text + ", or drop the condition (conditions)"


def make_evoked(epochs, label: str, trial_type: str):
    """Average the epochs of one condition; the evoked's comment is the trial type."""
    evoked = epochs[label].average()
    evoked.comment = trial_type
    return evoked


def measurement_info(raw_file, ch_types=None, montage=None):
    """Measurement info of a run's data channels (sensor geometry for the forward).

    Parameters
    ----------
    raw_file : str | Path
        The run's raw file.
    ch_types : None | list of str
        See :func:`expand_ch_types`.
    montage : None | str
        See :func:`apply_montage`.

    Returns
    -------
    info : mne.Info
        As mne-bids reads it (bad channels from ``*_channels.tsv``), with the montage,
        unfiltered, so the forward model does not depend on any filter setting. Bad EEG
        channels without a position are left out (the forward does not need them); a
        good one raises :func:`no_position_message`.
    """
    raw = read_raw(raw_file)
    raw.pick(expand_ch_types(ch_types, raw.info), exclude=[])
    apply_montage(raw, montage)
    unplaced = unplaced_eeg(raw.info)
    good = [ch for ch in unplaced if ch not in raw.info["bads"]]
    if good:
        raise BadInput(no_position_message(good, raw_file, montage))
    if unplaced:
        logger.info("Bad EEG channels without a position left out of the forward: %s", shown_names(unplaced))
    return raw.drop_channels(unplaced).info
