# Forward model. forward.source picks where it comes from:
#   template     fsaverage5 written by tfmxne_workflow.headmodels.template (nilearn cortex, MNE's fsaverage BEM)
#   freesurfer   a FreeSurfer subject in forward.subjects_dir
#   precomputed  a -fwd.fif per subject/session from the forward.fname pattern
# Source space and BEM solution are rules of their own, shared by every recording and
# condition of a subject (of every subject, for the template). The forward takes the
# sensor geometry from the raw file's info, so of the preprocessing settings only
# ch_types and montage (rule measurement_info) rerun it.


rule template_subject:
    output:
        subject_dir=directory(PATHS.template_dir),
        trans=PATHS.template_trans,
    params:
        code=PLAN.code("template_subject"),
    log:
        f"{PATHS.logs}/template_subject.log",
    benchmark:
        f"{PATHS.benchmarks}/template_subject.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/template_subject.py"


rule source_space:
    input:
        anatomy=job(inputs.anatomy, "src"),
    output:
        PATHS.source_space("{fs_subject}"),
    params:
        subjects_dir=job(inputs.subjects_dir),
        spacing=SETTINGS["forward"]["spacing"],
        code=PLAN.code("source_space"),
    log:
        PATHS.log("source_space", "{fs_subject}"),
    benchmark:
        PATHS.benchmark("source_space", "{fs_subject}")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=20,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/source_space.py"


rule bem_solution:
    input:
        anatomy=job(inputs.anatomy, "bem"),
    output:
        PATHS.bem_solution("{fs_subject}"),
    params:
        subjects_dir=job(inputs.subjects_dir),
        conductivity=SETTINGS["forward"]["conductivity"],
        ico=SETTINGS["forward"]["bem_ico"],
        code=PLAN.code("bem_solution"),
    log:
        PATHS.log("bem_solution", "{fs_subject}"),
    benchmark:
        PATHS.benchmark("bem_solution", "{fs_subject}")
    threads: 2
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/bem_solution.py"


rule trans_from_bids:
    input:
        raw=job(inputs.first_raw_file),
    output:
        recording_file("_trans.fif"),
    params:
        fs_subject=job(inputs.fs_subject),
        subjects_dir=job(inputs.subjects_dir),
        code=PLAN.code("trans_from_bids"),
    log:
        PATHS.log("trans_from_bids", RECORDING),
    benchmark:
        PATHS.benchmark("trans_from_bids", RECORDING)
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/trans_from_bids.py"


if PLAN.forward_source == "precomputed":

    rule forward_precomputed:
        input:
            fwd=job(inputs.precomputed_forward),
        output:
            recording_file("_fwd.fif"),
        params:
            code=PLAN.code("forward_precomputed"),
        log:
            PATHS.log("forward", RECORDING),
        benchmark:
            PATHS.benchmark("forward", RECORDING)
        threads: 1
        resources:
            mem_mb=4000,
            runtime=10,
        conda:
            "../../environment.yml"
        script:
            "../../scripts/forward_precomputed.py"

else:

    rule forward:
        input:
            unpack(job(inputs.forward)),
        output:
            recording_file("_fwd.fif"),
        params:
            mindist=SETTINGS["forward"]["mindist"],
            code=PLAN.code("forward"),
        log:
            PATHS.log("forward", RECORDING),
        benchmark:
            PATHS.benchmark("forward", RECORDING)
        threads: 1
        resources:
            mem_mb=4000,
            runtime=30,
        conda:
            "../../environment.yml"
        script:
            "../../scripts/forward.py"
