"""``input.source: evoked``: the researcher's own ``-ave.fif`` files in place of our ingestion.

Each file holds one recording's evokeds, named by their comments (the conditions); the
data are taken as they are (filtered, baseline-corrected and averaged by the researcher),
only their channels narrowed to ``preprocessing.ch_types`` as for BIDS input.
"""
from __future__ import annotations

import mne

from .ingest import expand_ch_types, has_average_reference


def read_all(fname) -> list:
    """The evokeds of an ``-ave.fif`` file, in file order."""
    try:
        return mne.read_evokeds(fname, verbose="error")
    except Exception as err:
        raise ValueError(f"could not read the evoked file {fname} (input.evoked): {type(err).__name__}: "
                         f"{err}; give an -ave.fif file written by mne.write_evokeds") from err


def _data_picks(info, ch_types) -> list:
    types = expand_ch_types(ch_types, info)
    return [k for k, kind in enumerate(info.get_channel_types()) if kind in types]


def read_condition(fname, comment, ch_types=None):
    """The evoked named ``comment``, its channels of ``preprocessing.ch_types`` only.

    EEG without an average reference projector gets one (as BIDS input does; the
    inverse needs it).
    """
    evoked = mne.read_evokeds(fname, condition=comment, verbose="error")
    evoked.pick(_data_picks(evoked.info, ch_types), exclude=[])
    if "eeg" in evoked.get_channel_types(unique=True) and not has_average_reference(evoked.info):
        evoked.set_eeg_reference("average", projection=True, verbose="error")
    return evoked


def measurement_info(fname, ch_types=None):
    """The file's measurement info, its channels of ``preprocessing.ch_types`` (sensor geometry for the forward)."""
    info = mne.io.read_info(fname, verbose="error")
    return mne.pick_info(info, _data_picks(info, ch_types))
