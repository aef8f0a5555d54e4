# Sources table, per-recording HTML report, study summary, derivatives description.


rule sources_table:
    input:
        unpack(job(inputs.common_space_files)),
        lh=recording_file("_proc-crop_desc-{cond}_tfmxne-lh.stc"),
        rh=recording_file("_proc-crop_desc-{cond}_tfmxne-rh.stc"),
        signed=recording_file("_proc-signed_desc-{cond}_tfmxne-lh.stc"),
        fwd=recording_file("_fwd.fif"),
        convergence=condition_file("_convergence.json"),
        resamples=condition_file("_resamples.npz"),
    output:
        condition_file("_sources.tsv"),
    params:
        trial_type=job(inputs.trial_type),
        spectra=SETTINGS.spectra(),
        merge=SETTINGS.merge(),
        common_space=job(inputs.common_space_param),
        code=PLAN.code("sources_table"),
    log:
        PATHS.log("sources_table", CONDITION),
    benchmark:
        PATHS.benchmark("sources_table", CONDITION)
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/sources_table.py"


rule report:
    input:
        average=job(inputs.per_condition, "_desc-{cond}_ave.fif"),
        evoked=job(inputs.per_condition, "_proc-crop_desc-{cond}_ave.fif"),
        residual=job(inputs.per_condition, "_proc-cropresidual_desc-{cond}_ave.fif"),
        signed=job(inputs.per_condition, "_proc-signed_desc-{cond}_tfmxne-lh.stc"),
        dense=job(inputs.per_condition, inputs.dense_suffix(PLAN)),
        sources=job(inputs.per_condition, "_desc-{cond}_sources.tsv"),
        convergence=job(inputs.per_condition, "_desc-{cond}_convergence.json"),
        fwd=recording_file("_fwd.fif"),
        noise_cov=recording_file("_cov.fif"),
        conditions=recording_file("_conditions.tsv"),
        truth=job(inputs.truth),
        provenance=job(inputs.provenance),
    output:
        html=report(
            recording_file("_report.html"),
            caption="../report/subject_report.rst",
            category="Subject reports",
        ),
        figures=report(
            directory(recording_file("_figures")),
            patterns=["{name}.png"],
            caption="../report/figures.rst",
            category="Figures",
        ),
    params:
        title=lambda wildcards: f"TF-MxNE: sub-{wildcards.subject}{wildcards.ses} task-{PATHS.task}",
        max_tf_maps=SETTINGS["report"]["max_tf_maps"],
        spectra=SETTINGS.spectra(),
        dense=SETTINGS["dense"],
        code=PLAN.code("report"),
    log:
        PATHS.log("report", RECORDING),
    benchmark:
        PATHS.benchmark("report", RECORDING)
    threads: 1
    resources:
        mem_mb=2000,
        runtime=15,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/report.py"


rule study_summary:
    input:
        sources=inputs.study_files(PLAN, "_desc-{cond}_sources.tsv"),
        convergence=inputs.study_files(PLAN, "_desc-{cond}_convergence.json"),
        evoked=inputs.study_files(PLAN, "_proc-crop_desc-{cond}_ave.fif"),
        residual=inputs.study_files(PLAN, "_proc-cropresidual_desc-{cond}_ave.fif"),
        reports=inputs.recording_files(PLAN, "_report.html"),
        conditions=inputs.recording_files(PLAN, "_conditions.tsv"),
        group_report=[PATHS.group_report] if PLAN.group_enabled else [],
    output:
        tsv=f"{PATHS.deriv}/study_summary.tsv",
        html=report(
            f"{PATHS.deriv}/study_summary.html",
            caption="../report/study_summary.rst",
            category="Study",
        ),
    params:
        code=PLAN.code("study_summary"),
    log:
        f"{PATHS.logs}/study_summary.log",
    benchmark:
        f"{PATHS.benchmarks}/study_summary.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    localrule: True
    conda:
        "../../environment.yml"
    script:
        "../../scripts/study_summary.py"


rule dataset_description:
    input:
        unpack(job(inputs.raw_description)),
    output:
        f"{PATHS.deriv}/dataset_description.json",
    params:
        code=PLAN.code("dataset_description"),
    log:
        f"{PATHS.logs}/dataset_description.log",
    benchmark:
        f"{PATHS.benchmarks}/dataset_description.tsv"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    localrule: True
    conda:
        "../../environment.yml"
    script:
        "../../scripts/dataset_description.py"
