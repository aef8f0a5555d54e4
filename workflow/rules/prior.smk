# dSPM prior (lambda2 = 1 / snr**2) on the solve window, used as TF-MxNE weights.


rule dspm_prior:
    input:
        evoked=rec("_desc-{cond}_ave.fif"),
        fwd=rec("_fwd.fif"),
        cov=rec("_cov.fif"),
        code=code_file("pipeline/prior"),
    output:
        lh=rec("_desc-{cond}_dspm-lh.stc"),
        rh=rec("_desc-{cond}_dspm-rh.stc"),
    params:
        tmin=config["tfmxne"]["tmin"],
        tmax=config["tfmxne"]["tmax"],
        snr=config["prior"]["snr"],
        loose=config["prior"]["loose"] if config["prior"]["loose"] is not None else config["tfmxne"]["loose"],
        depth=config["prior"]["depth"] if config["prior"]["depth"] is not None else config["tfmxne"]["depth"],
    log:
        f"{LOGS}/dspm_prior/{REC_COND}.log",
    benchmark:
        f"{BENCH}/dspm_prior/{REC_COND}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/dspm_prior.py"
