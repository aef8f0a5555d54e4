"""Rule dspm_prior: dSPM estimate on the solve window."""
import mne

from tfmxne_workflow import atomic
from tfmxne_workflow.logs import logging_to
from tfmxne_workflow.stages import prior
from tfmxne_workflow.validate import exit_on_bad_input

with exit_on_bad_input(), logging_to(snakemake.log[0]):
    p = snakemake.params
    evoked = prior.crop_for_solve(mne.read_evokeds(snakemake.input.evoked, verbose="error")[0], p.tmin, p.tmax)
    stc = prior.dspm(
        evoked, mne.read_forward_solution(snakemake.input.fwd, verbose="error"),
        mne.read_cov(snakemake.input.cov, verbose="error"), loose=p.loose, depth=p.depth, snr=p.snr,
    )
    atomic.save_stc(stc, snakemake.output.lh)
