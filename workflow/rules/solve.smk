# TF-MxNE on the solve window, then crop to the window of interest.


rule solve:
    input:
        unpack(job(inputs.solve)),
    output:
        lh=condition_file("_tfmxne-lh.stc"),
        rh=condition_file("_tfmxne-rh.stc"),
        signed_lh=recording_file("_proc-signed_desc-{cond}_tfmxne-lh.stc"),
        signed_rh=recording_file("_proc-signed_desc-{cond}_tfmxne-rh.stc"),
        residual=recording_file("_proc-residual_desc-{cond}_ave.fif"),
        convergence=condition_file("_convergence.json"),
        resamples=condition_file("_resamples.npz"),
    params:
        solve=job(inputs.solve_settings),
        selector=job(inputs.epochs_selector),
        code=PLAN.code("solve"),
    log:
        PATHS.log("solve", CONDITION),
    benchmark:
        PATHS.benchmark("solve", CONDITION)
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
        lh=condition_file("_tfmxne-lh.stc"),
        rh=condition_file("_tfmxne-rh.stc"),
        evoked=condition_file("_ave.fif"),
        residual=recording_file("_proc-residual_desc-{cond}_ave.fif"),
    output:
        lh=recording_file("_proc-crop_desc-{cond}_tfmxne-lh.stc"),
        rh=recording_file("_proc-crop_desc-{cond}_tfmxne-rh.stc"),
        evoked=recording_file("_proc-crop_desc-{cond}_ave.fif"),
        residual=recording_file("_proc-cropresidual_desc-{cond}_ave.fif"),
    params:
        tmin=SETTINGS["crop"]["tmin"],
        tmax=SETTINGS["crop"]["tmax"],
        code=PLAN.code("crop"),
    log:
        PATHS.log("crop", CONDITION),
    benchmark:
        PATHS.benchmark("crop", CONDITION)
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/crop.py"
