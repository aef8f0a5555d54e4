# TF-MxNE on the solve window, then crop to the window of interest.


rule solve:
    input:
        unpack(solve_inputs),
    output:
        lh=recording_file("_desc-{cond}_tfmxne-lh.stc"),
        rh=recording_file("_desc-{cond}_tfmxne-rh.stc"),
        residual=recording_file("_proc-residual_desc-{cond}_ave.fif"),
        convergence=recording_file("_desc-{cond}_convergence.json"),
    params:
        tmin=config["tfmxne"]["tmin"],
        tmax=config["tfmxne"]["tmax"],
        solver={k: v for k, v in config["tfmxne"].items() if k not in ("tmin", "tmax")},
        weights=config["prior"]["weights"],
        weights_min=config["prior"]["weights_min"],
        weights_min_fallback=config["prior"]["weights_min_fallback"],
    log:
        f"{LOGS}/solve/{CONDITION_ID}.log",
    benchmark:
        f"{BENCH}/solve/{CONDITION_ID}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=120,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/solve.py"


rule crop:
    input:
        lh=recording_file("_desc-{cond}_tfmxne-lh.stc"),
        rh=recording_file("_desc-{cond}_tfmxne-rh.stc"),
        evoked=recording_file("_desc-{cond}_ave.fif"),
        residual=recording_file("_proc-residual_desc-{cond}_ave.fif"),
        code=code_of("crop"),
    output:
        lh=recording_file("_proc-crop_desc-{cond}_tfmxne-lh.stc"),
        rh=recording_file("_proc-crop_desc-{cond}_tfmxne-rh.stc"),
        evoked=recording_file("_proc-crop_desc-{cond}_ave.fif"),
        residual=recording_file("_proc-cropresidual_desc-{cond}_ave.fif"),
    params:
        tmin=config["crop"]["tmin"],
        tmax=config["crop"]["tmax"],
    log:
        f"{LOGS}/crop/{CONDITION_ID}.log",
    benchmark:
        f"{BENCH}/crop/{CONDITION_ID}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/crop.py"
