# Sources table, per-recording HTML report, study summary, derivatives description.


rule sources_table:
    input:
        unpack(common_space_inputs),
        lh=recording_file("_proc-crop_desc-{cond}_tfmxne-lh.stc"),
        rh=recording_file("_proc-crop_desc-{cond}_tfmxne-rh.stc"),
        fwd=recording_file("_fwd.fif"),
        convergence=recording_file("_desc-{cond}_convergence.json"),
        code=code_of("sources_table"),
    output:
        recording_file("_desc-{cond}_sources.tsv"),
    params:
        trial_type=lambda wildcards: LABELS[wildcards.cond],
        common_space=common_space_param,
    log:
        f"{LOGS}/sources_table/{CONDITION_ID}.log",
    benchmark:
        f"{BENCH}/sources_table/{CONDITION_ID}.tsv"
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
        evoked=per_condition(recording_file("_proc-crop_desc-{cond}_ave.fif")),
        residual=per_condition(recording_file("_proc-cropresidual_desc-{cond}_ave.fif")),
        stc=per_condition(recording_file("_desc-{cond}_tfmxne-lh.stc")),
        sources=per_condition(recording_file("_desc-{cond}_sources.tsv")),
        convergence=per_condition(recording_file("_desc-{cond}_convergence.json")),
        fwd=recording_file("_fwd.fif"),
        conditions=recording_file("_conditions.tsv"),
        truth=truth_file,
        provenance=provenance_file,
        code=code_of("report"),
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
        title=lambda wildcards: f"TF-MxNE: sub-{wildcards.subject}{wildcards.ses} task-{TASK}",
        max_tf_maps=config["report"]["max_tf_maps"],
    log:
        f"{LOGS}/report/{RECORDING_ID}.log",
    benchmark:
        f"{BENCH}/report/{RECORDING_ID}.tsv"
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
        sources=study_files("_desc-{cond}_sources.tsv"),
        convergence=study_files("_desc-{cond}_convergence.json"),
        reports=[
            recording_file("_report.html").format(subject=subject, ses=ses) for subject, ses in RECORDINGS
        ],
        conditions=[
            recording_file("_conditions.tsv").format(subject=subject, ses=ses) for subject, ses in RECORDINGS
        ],
        group_report=[GROUP_REPORT] if GROUP_ENABLED else [],
        code=code_of("study_summary"),
    output:
        tsv=f"{DERIV}/study_summary.tsv",
        html=report(f"{DERIV}/study_summary.html", caption="../report/study_summary.rst", category="Study"),
    log:
        f"{LOGS}/study_summary.log",
    benchmark:
        f"{BENCH}/study_summary.tsv"
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
        raw_description=f"{BIDS_ROOT}/dataset_description.json",
        code=code_of("dataset_description"),
    output:
        f"{DERIV}/dataset_description.json",
    log:
        f"{LOGS}/dataset_description.log",
    benchmark:
        f"{BENCH}/dataset_description.tsv"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    localrule: True
    conda:
        "../../environment.yml"
    script:
        "../../scripts/dataset_description.py"
