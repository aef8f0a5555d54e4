"""Rule forward: gain matrix from the raw file's sensors, transform, source space, BEM."""
import mne

from tfmxne_workflow import atomic
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import forward
from tfmxne_workflow.errors import exit_on_bad_input

# Bad input: the log has the traceback, the console one line (exit_on_bad_input).
with exit_on_bad_input(), job_context(snakemake):
    info = mne.io.read_info(snakemake.input.info, verbose="error")
    fwd = forward.make_forward(
        info, snakemake.input.trans, snakemake.input.src, snakemake.input.bem,
        mindist=snakemake.params.mindist,
    )
    atomic.write_forward(fwd, snakemake.output[0])
