"""The non-convergence message says what stopped the solver: its cap of outer iterations."""

import numpy as np

from tfmxne import solve
from tfmxne_workflow.stages.solve import alpha_text, convergence_text, no_source_text


def _record(res):
    """The fields of the convergence record that the message reads (as solve_tfmxne writes them)."""
    return {"checks": [{"full": f} for f in res.full], "n_iter": res.n_iter,
            "converged": res.converged, "final_gap": res.gap, "tol": res.tol}


def test_a_capped_solve_names_the_outer_cap_and_maxit():
    rng = np.random.default_rng(0)
    G = rng.standard_normal((20, 60))
    M = G[:, [3, 40]] @ rng.standard_normal((2, 64)) + 0.1 * rng.standard_normal((20, 64))
    res = solve(M, G, 1e-3, 1e-4, wsize=16, tstep=4, maxit=1, tol=1e-14, max_outer=5)
    assert not res.converged and sum(res.full) == 6 and res.n_iter <= 6
    text = convergence_text(_record(res), maxit=1)
    assert text.startswith(f"not converged: final duality gap {res.gap:.3g} >= tol 1e-14 after 6 outer "
                           f"iterations, the solver's cap (maxit 1 passes each, {res.n_iter} passes in all)")
    assert "raise tfmxne.maxit, the passes per outer iteration, or tfmxne.tol" in text


def test_a_converged_solve_counts_its_passes():
    rng = np.random.default_rng(1)
    G = rng.standard_normal((20, 60))
    M = G[:, [3]] @ rng.standard_normal((1, 64))
    res = solve(M, G, 5.0, 0.5, wsize=16, tstep=4, maxit=200, tol=1e-6)
    assert res.converged
    assert convergence_text(_record(res)) == (
        f"converged: final duality gap {res.gap:.3g} < tol 1e-06 after {res.n_iter} passes")


def test_alpha_is_shown_relative_and_absolute():
    text = alpha_text({"alpha": 20.0, "alpha_max": 3.5})
    assert text.startswith("alpha = 20 % of alpha_max = 0.7 (alpha_max = 3.5: the dual norm of the whitened data")
    assert no_source_text({"alpha": 100.0, "alpha_max": 2.0}).startswith(
        "no active source at alpha = 100 % of alpha_max = 2 (alpha_max = 2:")
