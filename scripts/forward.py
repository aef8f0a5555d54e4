"""Rule forward: gain matrix from the raw file's sensors, transform, source space, BEM."""
import mne

from tfmxne.pipeline import forward, io
from tfmxne.pipeline.logs import logging_to
from tfmxne.pipeline.validate import exit_on_bad_input

# Bad input: the log has the traceback, the console one line (exit_on_bad_input).
with exit_on_bad_input(), logging_to(snakemake.log[0]):
    info = mne.io.read_info(snakemake.input.info, verbose="error")
    fwd = forward.make_forward(
        info, snakemake.input.trans, snakemake.input.src, snakemake.input.bem,
        mindist=snakemake.params.mindist,
    )
    io.write_forward(fwd, snakemake.output[0])
