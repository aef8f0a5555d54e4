# The dense estimate beside the sparse one (dense.method: dSPM, sLORETA, eLORETA or MNE) on the
# crop window, named by its method: P_proc-crop_desc-<c>_<method>-{lh,rh}.stc.


rule dense:
    input:
        unpack(job(inputs.stage_inputs)),
    output:
        lh=recording_file(inputs.dense_suffix(PLAN, "lh")),
        rh=recording_file(inputs.dense_suffix(PLAN, "rh")),
    params:
        dense=SETTINGS.dense(),
        code=PLAN.code("dense"),
    log:
        PATHS.log("dense", CONDITION),
    benchmark:
        PATHS.benchmark("dense", CONDITION)
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/dense.py"
