# Group stage: every subject's sources pooled on fsaverage, clustered per condition,
# conditions compared, one report (only when the plan enables it: PLAN.group_enabled).


rule group_condition:
    input:
        sources=job(inputs.with_condition, "_desc-{cond}_sources.tsv"),
        convergence=job(inputs.with_condition, "_desc-{cond}_convergence.json"),
        stc=job(inputs.with_condition, "_proc-crop_desc-{cond}_tfmxne-lh.stc"),
        fsaverage=inputs.fsaverage_files(PLAN),
    output:
        clusters=f"{PATHS.group_prefix}_desc-{{cond}}_clusters.tsv",
        sources=f"{PATHS.group_prefix}_desc-{{cond}}_sources.tsv",
        subjects=f"{PATHS.group_prefix}_desc-{{cond}}_subjects.tsv",
        lh=f"{PATHS.group_prefix}_desc-{{cond}}_tfmxne-lh.stc",
        rh=f"{PATHS.group_prefix}_desc-{{cond}}_tfmxne-rh.stc",
    params:
        recordings=job(inputs.recording_ids),
        all_recordings=[f"sub-{subject}{ses}" for subject, ses in sorted(PLAN.study.recordings)],
        cluster_mm=SETTINGS["group"]["cluster_mm"],
        min_subjects=SETTINGS["group"]["min_subjects"],
        min_stability=SETTINGS["stability"]["threshold"],
        n_permutations=SETTINGS["group"]["n_permutations"],
        fsaverage_dir=inputs.fsaverage_dir(PLAN),
        code=PLAN.code("group_condition"),
    log:
        PATHS.log("group", "desc-{cond}"),
    benchmark:
        PATHS.benchmark("group", "desc-{cond}")
    threads: 1
    resources:
        mem_mb=4000,
        runtime=15,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/group_condition.py"


rule group_contrasts:
    input:
        sources=inputs.group_files(PLAN, "_sources.tsv"),
        clusters=inputs.group_files(PLAN, "_clusters.tsv"),
    output:
        f"{PATHS.group_prefix}_contrasts.tsv",
    params:
        trial_types=[LABELS[cond] for cond in sorted(LABELS)],
        cluster_mm=SETTINGS["group"]["cluster_mm"],
        code=PLAN.code("group_contrasts"),
    log:
        PATHS.log("group", "contrasts"),
    benchmark:
        PATHS.benchmark("group", "contrasts")
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/group_contrasts.py"


rule group_report:
    input:
        clusters=inputs.group_files(PLAN, "_clusters.tsv"),
        sources=inputs.group_files(PLAN, "_sources.tsv"),
        subjects=inputs.group_files(PLAN, "_subjects.tsv"),
        contrasts=f"{PATHS.group_prefix}_contrasts.tsv",
        stc=inputs.study_files(PLAN, "_proc-crop_desc-{cond}_tfmxne-lh.stc"),
        signed=inputs.study_files(PLAN, "_proc-signed_desc-{cond}_tfmxne-lh.stc"),
        reports=inputs.recording_reports(PLAN),
    output:
        report(PATHS.group_report, caption="../report/group_report.rst", category="Group"),
    params:
        title=f"TF-MxNE group results: task-{PATHS.task}",
        trial_types=[LABELS[cond] for cond in sorted(LABELS)],
        estimates=inputs.study_keys(PLAN),
        min_subjects=SETTINGS["group"]["min_subjects"],
        spectra=SETTINGS.spectra(),
        code=PLAN.code("group_report"),
    log:
        PATHS.log("group", "report"),
    benchmark:
        PATHS.benchmark("group", "report")
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/group_report.py"
