# TF-MxNE on the solve window, then crop to the window of interest.

rule solve:
    input:
        unpack(solve_inputs),
    output:
        lh=rec("_desc-{cond}_tfmxne-lh.stc"),
        rh=rec("_desc-{cond}_tfmxne-rh.stc"),
        residual=rec("_proc-residual_desc-{cond}_ave.fif"),
        convergence=rec("_desc-{cond}_convergence.json"),
    params:
        tmin=config["tfmxne"]["tmin"],
        tmax=config["tfmxne"]["tmax"],
        solver={k: v for k, v in config["tfmxne"].items() if k not in ("tmin", "tmax")},
        weights_min=config["prior"]["weights_min"],
        weights_min_fallback=config["prior"]["weights_min_fallback"],
    log:
        f"{LOGS}/solve/{REC_COND}.log",
    benchmark:
        f"{BENCH}/solve/{REC_COND}.tsv"
    threads: 1
    resources:
        mem_mb=8000,
        runtime=60,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/solve.py"


rule crop:
    input:
        lh=rec("_desc-{cond}_tfmxne-lh.stc"),
        rh=rec("_desc-{cond}_tfmxne-rh.stc"),
        evoked=rec("_desc-{cond}_ave.fif"),
        residual=rec("_proc-residual_desc-{cond}_ave.fif"),
        code=code_file("pipeline/crop"),
    output:
        lh=rec("_proc-crop_desc-{cond}_tfmxne-lh.stc"),
        rh=rec("_proc-crop_desc-{cond}_tfmxne-rh.stc"),
        evoked=rec("_proc-crop_desc-{cond}_ave.fif"),
        residual=rec("_proc-cropresidual_desc-{cond}_ave.fif"),
    params:
        tmin=config["crop"]["tmin"],
        tmax=config["crop"]["tmax"],
    log:
        f"{LOGS}/crop/{REC_COND}.log",
    benchmark:
        f"{BENCH}/crop/{REC_COND}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/crop.py"
