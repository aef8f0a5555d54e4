"""Rule solve: TF-MxNE on one condition, with residual and convergence record."""
import mne

from tfmxne_workflow import atomic
from tfmxne_workflow.logs import logging_to
from tfmxne_workflow.stages import auto_settings, prior, solve

with logging_to(snakemake.log[0]):
    p = snakemake.params
    evoked = prior.crop_for_solve(mne.read_evokeds(snakemake.input.evoked, verbose="error")[0], p.tmin, p.tmax)
    use_weights, alpha, auto_note = auto_settings.resolve(p.weights, p.solver["alpha"], evoked.info)
    weights = mne.read_source_estimate(snakemake.input.prior) if use_weights else None
    weights_min, note = prior.effective_weights_min(weights, p.weights_min, p.weights_min_fallback)
    stc, residual, record = solve.solve_tfmxne(
        evoked, mne.read_forward_solution(snakemake.input.fwd, verbose="error"),
        mne.read_cov(snakemake.input.cov, verbose="error"),
        weights=weights, weights_min=weights_min, **{**p.solver, "alpha": alpha},
    )
    record.update(params=p.solver, solve_window=[p.tmin, p.tmax], weights=use_weights,
                  weights_min_used=weights_min if use_weights else None,
                  weights_note=" ".join(filter(None, [auto_note, note])) or None)
    atomic.save_stc(stc, snakemake.output.lh)
    atomic.save_fif(residual, snakemake.output.residual)
    atomic.write_json(snakemake.output.convergence, record)
