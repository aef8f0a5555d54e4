"""Rule dspm: dSPM estimate on the solve window (the TF-MxNE source weights)."""
import mne

from tfmxne_workflow import atomic
from tfmxne_workflow.errors import exit_on_bad_input
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import dspm

with exit_on_bad_input(), job_context(snakemake):
    stc = dspm.dspm_on_solve_window(
        mne.read_evokeds(snakemake.input.evoked, verbose="error")[0],
        mne.read_forward_solution(snakemake.input.fwd, verbose="error"),
        mne.read_cov(snakemake.input.noise_cov, verbose="error"),
        snakemake.params.dspm,
    )
    atomic.save_stc(stc, snakemake.output.lh)
