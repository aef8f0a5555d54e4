"""Every private MNE-Python name this project uses, in one place.

MNE does not promise to keep these names, so a new MNE release can move or drop
any of them; this module is the one file to fix then (``tests/test_mne_private.py``
imports each name, and checks that no other module reaches into MNE's private API).
Each name says why the public API does not do. Most mirror what
``mne.inverse_sparse.tf_mixed_norm`` does internally, so that
:func:`tfmxne.tf_mixed_norm` prepares the problem exactly as MNE does.

The names that read a forward's header (:data:`LAZY`) are imported on first use:
the workflow peeks at every precomputed forward when it checks a study, and a
peek that fails (e.g. the name moved) falls back to reading the file in the job.
"""

from contextlib import AbstractContextManager
from importlib import import_module

# Input checks with MNE's wording, so that errors read as tf_mixed_norm's.
from mne.minimum_norm.inverse import _check_reference  # average reference needs its projector
from mne.minimum_norm.inverse import _triage_loose  # loose='auto' per source-space kind
from mne.utils import _check_compensation_grade  # forward and data CTF compensation agree
from mne.utils import _check_depth  # depth=float|dict to the sparse solvers' depth-prior options
from mne.utils import _check_option  # "Invalid value for the 'x' parameter" messages
from mne.utils import _check_rank  # rank=None|'info'|dict as MNE accepts it

# Whitening and projections with MNE's rank rules (no public function returns the whitener).
from mne._fiff.pick import _picks_by_type  # channel-type blocks of the whitener
from mne._fiff.proj import deactivate_proj  # re-apply the data's projections to the prediction
from mne._fiff.proj import make_projector  # SSP projector matrix of the forward's channels
from mne.cov import _get_ch_whitener  # per-channel-type eigendecomposition, as the inverse does
from mne.defaults import _handle_default  # MNE's default scalings per channel type
from mne.rank import _info_rank  # MEG rank after Maxwell filtering (SSS), from the info

# Gain and source-space geometry.
from mne.forward.forward import _restrict_gain_matrix  # depth prior from the channel type MNE picks
from mne.source_space._source_space import _get_src_nn  # source normals, from cortical patch statistics if any
from mne.source_space._source_space import _src_kind_dict  # source-space type to its key of loose='auto'
from mne.surface import _normal_orth  # tangent frame of each normal (loose orientations)

# Source estimates of the right class (surface, volume, mixed, vector) from arrays.
from mne.source_estimate import _BaseSourceEstimate  # weights given as an estimate of any class
from mne.source_estimate import _make_stc  # estimate class chosen from the source space

#: Name -> module, imported on first attribute access (see the module docstring).
LAZY = {
    "fiff_open": "mne._fiff.open",  # open a FIF file and its tag tree
    "find_tag": "mne._fiff.tag",  # one tag (the source space's subject) without the rest
    "dir_tree_find": "mne._fiff.tree",  # the source-space blocks of the tree
    "_read_forward_meas_info": "mne.forward.forward",  # channel names, no gain matrix read
}

__all__ = [
    "_check_reference", "_triage_loose", "_check_compensation_grade", "_check_depth",
    "_check_option", "_check_rank", "_picks_by_type", "deactivate_proj", "make_projector",
    "_get_ch_whitener", "_handle_default", "_info_rank", "_restrict_gain_matrix",
    "_get_src_nn", "_src_kind_dict", "_normal_orth", "_BaseSourceEstimate", "_make_stc",
    "unlocked", *LAZY,
]


def unlocked(info) -> AbstractContextManager:
    """``with unlocked(info):`` lets keys that MNE keeps read-only be set.

    ``Info._unlock``: MNE's own way to set, e.g., ``projs``, ``sfreq`` or the channels'
    ``loc`` of an :class:`mne.Info` built by hand (simulated sensors, a prediction with
    the data's projections); there is no public setter for these keys.
    """
    return info._unlock()


def __getattr__(name):
    if name in LAZY:
        return getattr(import_module(LAZY[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
