"""Rule crop: estimate, evoked and residual cropped to the window of interest."""
import mne

from tfmxne.pipeline import crop, io
from tfmxne.pipeline.logs import logging_to

with logging_to(snakemake.log[0]):
    stc, evoked, residual = crop.crop_results(
        mne.read_source_estimate(snakemake.input.lh),
        mne.read_evokeds(snakemake.input.evoked, verbose="error")[0],
        mne.read_evokeds(snakemake.input.residual, verbose="error")[0],
        snakemake.params.tmin, snakemake.params.tmax,
    )
    io.save_stc(stc, snakemake.output.lh)
    io.save_fif(evoked, snakemake.output.evoked)
    io.save_fif(residual, snakemake.output.residual)
