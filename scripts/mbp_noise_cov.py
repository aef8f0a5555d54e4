"""Rule mbp_noise_cov: MBP's noise covariance on the epochs' channels, else ours from their baseline."""
import mne

from tfmxne_workflow import atomic, mbp
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import noise_cov
from tfmxne_workflow.errors import exit_on_bad_input

with exit_on_bad_input(), job_context(snakemake):
    inp = snakemake.input
    epochs = mne.read_epochs(inp.epochs, preload="noise_cov" not in inp.keys(), verbose="error")
    if "noise_cov" in inp.keys():
        cov = mbp.restrict_covariance(mne.read_cov(inp.noise_cov, verbose="error"), epochs.info, inp.noise_cov, inp.epochs)
    else:
        cov = noise_cov.baseline_covariance(epochs, tmax=snakemake.params.tmax, method=snakemake.params.method)
    atomic.write_cov(cov, snakemake.output[0])
