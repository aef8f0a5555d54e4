# Group stage: every subject's sources pooled on fsaverage, clustered per condition,
# conditions compared, one report (only when GROUP_ENABLED; see common.smk).


rule group_condition:
    input:
        sources=condition_files("_desc-{cond}_sources.tsv"),
        convergence=condition_files("_desc-{cond}_convergence.json"),
        stc=condition_files("_proc-crop_desc-{cond}_tfmxne-lh.stc"),
        code=code_of("group_condition"),
    output:
        clusters=f"{GROUP_PREFIX}_desc-{{cond}}_clusters.tsv",
        sources=f"{GROUP_PREFIX}_desc-{{cond}}_sources.tsv",
        subjects=f"{GROUP_PREFIX}_desc-{{cond}}_subjects.tsv",
        lh=f"{GROUP_PREFIX}_desc-{{cond}}_tfmxne-lh.stc",
        rh=f"{GROUP_PREFIX}_desc-{{cond}}_tfmxne-rh.stc",
    params:
        recordings=lambda wildcards: recording_ids(wildcards.cond),
        all_recordings=[f"sub-{subject}{ses}" for subject, ses in sorted(RECORDINGS)],
        cluster_mm=GROUP["cluster_mm"],
        min_subjects=GROUP["min_subjects"],
    log:
        f"{LOGS}/group/desc-{{cond}}.log",
    benchmark:
        f"{BENCH}/group/desc-{{cond}}.tsv"
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
        sources=expand(f"{GROUP_PREFIX}_desc-{{cond}}_sources.tsv", cond=sorted(LABELS)),
        clusters=expand(f"{GROUP_PREFIX}_desc-{{cond}}_clusters.tsv", cond=sorted(LABELS)),
        code=code_of("group_contrasts"),
    output:
        f"{GROUP_PREFIX}_contrasts.tsv",
    params:
        trial_types=[LABELS[cond] for cond in sorted(LABELS)],
        cluster_mm=GROUP["cluster_mm"],
    log:
        f"{LOGS}/group/contrasts.log",
    benchmark:
        f"{BENCH}/group/contrasts.tsv"
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
        clusters=expand(f"{GROUP_PREFIX}_desc-{{cond}}_clusters.tsv", cond=sorted(LABELS)),
        sources=expand(f"{GROUP_PREFIX}_desc-{{cond}}_sources.tsv", cond=sorted(LABELS)),
        subjects=expand(f"{GROUP_PREFIX}_desc-{{cond}}_subjects.tsv", cond=sorted(LABELS)),
        contrasts=f"{GROUP_PREFIX}_contrasts.tsv",
        stc=study_files("_proc-crop_desc-{cond}_tfmxne-lh.stc"),
        solve_stc=study_files("_desc-{cond}_tfmxne-lh.stc"),
        convergence=study_files("_desc-{cond}_convergence.json"),
        reports=[
            recording_file("_report.html").format(subject=subject, ses=ses)
            for subject, ses in sorted(RECORDINGS)
        ],
        code=code_of("group_report"),
    output:
        report(GROUP_REPORT, caption="../report/group_report.rst", category="Group"),
    params:
        title=f"TF-MxNE group results: task-{TASK}",
        trial_types=[LABELS[cond] for cond in sorted(LABELS)],
        estimates=study_keys(),
        min_subjects=GROUP["min_subjects"],
    log:
        f"{LOGS}/group/report.log",
    benchmark:
        f"{BENCH}/group/report.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=20,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/group_report.py"
