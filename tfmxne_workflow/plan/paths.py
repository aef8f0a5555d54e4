"""Where every output of the workflow goes: one BIDS-like prefix per recording, and the study's folders."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Paths:
    """Path patterns of the derivatives (``{subject}``, ``{ses}``, ``{cond}``: wildcards)."""

    deriv: str
    task: str
    datatype: str

    @classmethod
    def of(cls, settings) -> Paths:
        """The paths of a resolved configuration (``deriv_root`` null: under ``bids_root``)."""
        deriv = settings["deriv_root"] or f"{settings['bids_root']}/derivatives/tfmxne"
        return cls(deriv, settings["task"], settings["datatype"])

    def recording_file(self, suffix) -> str:
        """A per-recording derivative: the BIDS prefix plus ``suffix`` (e.g. ``_fwd.fif``)."""
        return f"{self.deriv}/sub-{{subject}}/{self.datatype}/sub-{{subject}}{{ses}}_task-{self.task}{suffix}"

    def condition_file(self, suffix) -> str:
        """A per-condition derivative: ``_desc-{cond}`` plus ``suffix``."""
        return self.recording_file(f"_desc-{{cond}}{suffix}")

    @property
    def logs(self) -> str:
        """The jobs' logs, one folder per rule."""
        return f"{self.deriv}/logs"

    @property
    def benchmarks(self) -> str:
        """The jobs' Snakemake benchmark records, one folder per rule."""
        return f"{self.deriv}/benchmarks"

    @property
    def headmodels(self) -> str:
        """Source spaces and BEM solutions, one folder per FreeSurfer subject."""
        return f"{self.deriv}/headmodels"

    @property
    def template_dir(self) -> str:
        """The fsaverage5 template subject (forward.source: template)."""
        return f"{self.headmodels}/subjects/fsaverage5"

    @property
    def template_trans(self) -> str:
        """The template head's transform."""
        return f"{self.headmodels}/fsaverage5_trans.fif"

    def source_space(self, fs_subject) -> str:
        """A FreeSurfer subject's source space."""
        return f"{self.headmodels}/{fs_subject}/{fs_subject}_src.fif"

    def bem_solution(self, fs_subject) -> str:
        """A FreeSurfer subject's BEM solution."""
        return f"{self.headmodels}/{fs_subject}/{fs_subject}_bem-sol.fif"

    @property
    def group_prefix(self) -> str:
        """The group stage's files: ``group/task-<task>``."""
        return f"{self.deriv}/group/task-{self.task}"

    @property
    def group_report(self) -> str:
        """The group report."""
        return f"{self.group_prefix}_report.html"

    @property
    def mbp_provenance(self) -> str:
        """Where the mne-bids-pipeline input came from (its version, steps and config)."""
        return f"{self.deriv}/mbp_provenance.json"

    def log(self, rule, job_id) -> str:
        """A job's log file: ``logs/<rule>/<job id>.log``."""
        return f"{self.logs}/{rule}/{job_id}.log"

    def benchmark(self, rule, job_id) -> str:
        """A job's Snakemake benchmark file: ``benchmarks/<rule>/<job id>.tsv``."""
        return f"{self.benchmarks}/{rule}/{job_id}.tsv"
