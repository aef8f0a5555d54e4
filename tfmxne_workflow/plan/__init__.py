"""Everything the workflow decides while Snakemake parses it, as plain tested Python.

:func:`make_plan` turns the configuration into one :class:`Plan`: the resolved settings
(the schema evaluated once, defaults filled in, every ``auto`` decided per recording),
the study (recordings, conditions, input mode) and the paths. ``workflow/rules/common.smk``
makes it once and the rules only read it; :mod:`.inputs` are the rules' input functions.

Rooms: :mod:`.config` (the configuration against the schema), :mod:`.checks` (the data
before any job), :mod:`.study`, :mod:`.paths`, :mod:`.settings` (each stage's view),
:mod:`.auto` (what ``auto`` means), :mod:`.code` (the code each rule runs).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .. import dataset, mbp
from ..errors import BadInput
from . import checks, code
from . import config as config_
from . import study as study_
from .paths import Paths
from .settings import Settings


@dataclass(frozen=True)
class Plan:
    """The workflow's decisions for one configuration (see the module docstring).

    Attributes
    ----------
    settings : Settings
    study : study.Study
    paths : Paths
    repo : Path
        The workflow's folder (its ``scripts/`` and packages).
    mbp_root : Path
        mne-bids-pipeline's derivatives (``input.source: mne-bids-pipeline``).
    mbp_forward : bool
        Whether MBP's forwards replace ours (it wrote one for every recording).
    common_space : None | 'template' | 'sphere'
        How sources map to fsaverage: the template cortex is fsaverage5; FreeSurfer
        anatomy (also named for precomputed forwards) maps through ``?h.sphere.reg``.
    group_enabled : bool
    notes : tuple of str
        Messages for the user (deprecated keys).
    """

    settings: Settings
    study: study_.Study
    paths: Paths
    repo: Path
    mbp_root: Path
    mbp_forward: bool
    common_space: str | None
    group_enabled: bool
    notes: tuple = ()
    _modalities: dict = field(default_factory=dict, compare=False, repr=False)

    @property
    def mbp_input(self) -> bool:
        """Whether mne-bids-pipeline's derivatives replace our ingestion."""
        return self.settings["input"]["source"] == "mne-bids-pipeline"

    @property
    def evoked_input(self) -> bool:
        """Whether the researcher's own ``-ave.fif`` files replace our ingestion (``input.evoked``)."""
        return self.settings["input"]["source"] == "evoked"

    @property
    def forward_source(self) -> str:
        """``template``, ``freesurfer`` or ``precomputed`` (``forward.source``)."""
        return self.settings["forward"]["source"]

    def modality(self, subject, ses) -> str:
        """``'meg'`` or ``'eeg'``: the data solved for one recording (decided once)."""
        key = (subject, ses)
        if key not in self._modalities:
            ch_types = self.settings["preprocessing"]["ch_types"]
            self._modalities[key] = study_.modality(self.study, key, ch_types)
        return self._modalities[key]

    def solve_settings(self, subject, ses) -> dict:
        """The solve stage's settings for one recording (``auto`` decided for its data)."""
        return self.settings.solve(self.modality(subject, ses))

    def uses_dspm(self, subject, ses) -> bool:
        """Whether the recording's solve takes dSPM weights (else no dSPM job is planned)."""
        return self.solve_settings(subject, ses)["weights"]

    def code(self, script) -> dict:
        """The code ``scripts/<script>.py`` runs, as a rule parameter (:mod:`.code`)."""
        return code.versions(self.repo / "scripts" / f"{script}.py", self.repo)


def make_plan(config: dict, repo, on_host: bool = True) -> Plan:
    """The :class:`Plan` of ``config``; raises :class:`BadInput` for bad input.

    Parameters
    ----------
    config : dict
        The configuration as Snakemake read it (not changed).
    repo : str | Path
        The workflow's folder.
    on_host : bool
        True on the submitting host: scan the dataset and check it. A job (which parses
        the workflow again) reads the host's scan back and skips the checks, which passed
        before it started, so that job start-up does not grow with the study.
    """
    resolved, notes = config_.resolve(config)
    settings = Settings(resolved)
    mbp_root = mbp.mbp_root(resolved["bids_root"], resolved["input"]["mbp_root"])
    study = study_.scan(settings, mbp_root, on_host)
    mbp_input = resolved["input"]["source"] == "mne-bids-pipeline"
    mbp_forward = mbp_input and all(files.fwd for files in study.mbp_files.values())
    common_space = _common_space(resolved["forward"], mbp_forward)
    group_enabled = decide_group_enabled(resolved["group"]["enabled"], len(study.subjects), common_space)
    if on_host:
        _check_data(resolved, study, mbp_forward, common_space)
    return Plan(settings, study, Paths.of(settings), Path(repo), mbp_root, mbp_forward,
                common_space, group_enabled, tuple(notes))


def _common_space(forward: dict, mbp_forward: bool) -> str | None:
    if forward["source"] == "template" and not mbp_forward:
        return "template"
    return "sphere" if forward["subjects_dir"] else None


def decide_group_enabled(enabled, n_subjects, common_space) -> bool:
    """``group.enabled``, or by default (null) with 2 subjects or more and a common space."""
    if enabled is None:
        return n_subjects >= 2 and common_space is not None
    if enabled and common_space is None:
        raise BadInput(
            "group.enabled is true but the sources have no common space: with forward.source "
            "'precomputed' set forward.subjects_dir (and forward.fs_subject) to the subjects' "
            "FreeSurfer anatomy (surf/?h.sphere.reg), or set group.enabled: false"
        )
    return bool(enabled)


def _check_data(settings: dict, study, mbp_forward: bool, common_space) -> None:
    """The checks of the data that run on the submitting host, before any job."""
    recordings = list(study.recordings.values())
    fwd, prep = settings["forward"], settings["preprocessing"]
    ch_types = prep["ch_types"]
    if settings["input"]["source"] != "evoked":  # evoked files: read (and so checked) by the study
        checks.check_raw_files(recordings)
        checks.check_channels(recordings, ch_types)
    if settings["input"]["source"] == "bids":  # MBP's epochs and info come with their own
        if prep["event_repeated"] == "error":
            checks.check_repeated_events(study, settings["datatype"])
        if fwd["source"] != "precomputed":
            checks.check_eeg_positions(recordings, ch_types, prep["montage"])
        elif prep["montage"]:
            checks.montage_channels(prep["montage"])  # its name (the epochs use it)
    if settings["noise_cov"]["source"] == "empty_room":
        for r in recordings:
            dataset.empty_room_file(r.raw_files[0])
    elif settings["noise_cov"]["source"] == "file":
        checks.check_noise_cov_files(settings["noise_cov"]["fname"], recordings, ch_types)
    if mbp_forward:
        pass  # MBP's forwards, checked against the epochs by rule mbp_forward
    elif fwd["source"] == "precomputed":
        checks.check_precomputed_forwards(fwd["fname"], recordings, ch_types)
    elif fwd["source"] == "freesurfer":
        checks.check_freesurfer(fwd["subjects_dir"], fwd["fs_subject"], study.subjects, fwd["trans"],
                                recordings)
    if common_space == "sphere":
        checks.check_common_space(fwd["subjects_dir"], fwd["fs_subject"], study.subjects)
