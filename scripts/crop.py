"""Rule crop: estimate, evoked and residual cropped to the window of interest."""
import mne

from tfmxne_workflow import atomic
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import crop

with job_context(snakemake):
    stc, evoked, residual = crop.crop_results(
        mne.read_source_estimate(snakemake.input.lh),
        mne.read_evokeds(snakemake.input.evoked, verbose="error")[0],
        mne.read_evokeds(snakemake.input.residual, verbose="error")[0],
        snakemake.params.tmin, snakemake.params.tmax,
    )
    atomic.save_stc(stc, snakemake.output.lh)
    atomic.save_fif(evoked, snakemake.output.evoked)
    atomic.save_fif(residual, snakemake.output.residual)
