# dSPM prior (lambda2 = 1 / snr**2) on the solve window, used as TF-MxNE weights.


rule dspm_prior:
    input:
        evoked=recording_file("_desc-{cond}_ave.fif"),
        fwd=recording_file("_fwd.fif"),
        cov=recording_file("_cov.fif"),
        code=code_of("dspm_prior"),
    output:
        lh=recording_file("_desc-{cond}_dspm-lh.stc"),
        rh=recording_file("_desc-{cond}_dspm-rh.stc"),
    params:
        tmin=config["tfmxne"]["tmin"],
        tmax=config["tfmxne"]["tmax"],
        snr=config["prior"]["snr"],
        loose=config["prior"]["loose"] if config["prior"]["loose"] is not None else config["tfmxne"]["loose"],
        depth=config["prior"]["depth"] if config["prior"]["depth"] is not None else config["tfmxne"]["depth"],
    log:
        f"{LOGS}/dspm_prior/{CONDITION_ID}.log",
    benchmark:
        f"{BENCH}/dspm_prior/{CONDITION_ID}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/dspm_prior.py"
