# dSPM estimate (lambda2 = 1 / snr**2) on the solve window: the TF-MxNE source weights.
# Planned only for recordings whose solve takes weights (dspm.weights; auto decides per recording).


rule dspm:
    input:
        unpack(job(inputs.stage_inputs)),
    output:
        lh=condition_file("_dspm-lh.stc"),
        rh=condition_file("_dspm-rh.stc"),
    params:
        dspm=SETTINGS.dspm(),
        code=PLAN.code("dspm"),
    log:
        PATHS.log("dspm", CONDITION),
    benchmark:
        PATHS.benchmark("dspm", CONDITION)
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/dspm.py"
