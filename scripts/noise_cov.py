"""Rule noise_cov: noise covariance from the baseline or the empty-room recording, or the given one."""
import mne

from tfmxne_workflow import atomic
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import noise_cov
from tfmxne_workflow.errors import exit_on_bad_input

# Bad input: the log has the traceback, the console one line (exit_on_bad_input).
with exit_on_bad_input(), job_context(snakemake):
    opts = snakemake.params.noise_cov
    if opts["source"] == "file":
        info = mne.io.read_info(snakemake.input.info, verbose="error")
        cov = noise_cov.covariance_from_file(snakemake.input.noise_cov, info)
    else:
        epochs = mne.read_epochs(snakemake.input.epochs, verbose="error")
        if opts["source"] == "empty_room":
            cov = noise_cov.empty_room_covariance(
                snakemake.input.empty_room, epochs.info,
                l_freq=snakemake.params.l_freq, h_freq=snakemake.params.h_freq, method=opts["method"],
            )
        else:
            cov = noise_cov.baseline_covariance(epochs, tmax=opts["tmax"], method=opts["method"])
    atomic.write_cov(cov, snakemake.output[0])
