# Forward model. forward.source picks where it comes from:
#   template     fsaverage5 written by tfmxne_workflow.headmodels.template (nilearn cortex, MNE's fsaverage BEM)
#   freesurfer   a FreeSurfer subject in forward.subjects_dir
#   precomputed  a -fwd.fif per subject/session from the forward.fname pattern
# Source space and BEM solution are rules of their own, shared by every recording and
# condition of a subject (of every subject, for the template). The forward takes the
# sensor geometry from the raw file's info, so no preprocessing setting reruns it.


rule template_subject:
    input:
        code=code_of("template_subject"),
    output:
        subject_dir=directory(TEMPLATE_DIR),
        trans=TEMPLATE_TRANS,
    log:
        f"{LOGS}/template_subject.log",
    benchmark:
        f"{BENCH}/template_subject.tsv"
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
        anatomy=anatomy_files("src"),
        code=code_of("source_space"),
    output:
        f"{HEADMODELS}/{{fs_subject}}/{{fs_subject}}_src.fif",
    params:
        subjects_dir=subjects_dir,
        spacing=FWD["spacing"],
    log:
        f"{LOGS}/source_space/{{fs_subject}}.log",
    benchmark:
        f"{BENCH}/source_space/{{fs_subject}}.tsv"
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
        anatomy=anatomy_files("bem"),
        code=code_of("bem_solution"),
    output:
        f"{HEADMODELS}/{{fs_subject}}/{{fs_subject}}_bem-sol.fif",
    params:
        subjects_dir=subjects_dir,
        conductivity=FWD["conductivity"],
        ico=FWD["bem_ico"],
    log:
        f"{LOGS}/bem_solution/{{fs_subject}}.log",
    benchmark:
        f"{BENCH}/bem_solution/{{fs_subject}}.tsv"
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
        raw=lambda wildcards: raw_files(wildcards)[0],
        code=code_of("trans_from_bids"),
    output:
        recording_file("_trans.fif"),
    params:
        fs_subject=fs_subject,
        subjects_dir=subjects_dir,
    log:
        f"{LOGS}/trans_from_bids/{RECORDING_ID}.log",
    benchmark:
        f"{BENCH}/trans_from_bids/{RECORDING_ID}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/trans_from_bids.py"


if FWD["source"] == "precomputed":

    rule forward_precomputed:
        input:
            fwd=lambda wildcards: FWD["fname"].format(
                subject=wildcards.subject, session=session_label(wildcards.ses)
            ),
            code=code_of("forward_precomputed"),
        output:
            recording_file("_fwd.fif"),
        log:
            f"{LOGS}/forward/{RECORDING_ID}.log",
        benchmark:
            f"{BENCH}/forward/{RECORDING_ID}.tsv"
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
            info=recording_file("_info.fif"),
            trans=trans_file,
            src=lambda wildcards: f"{HEADMODELS}/{fs_subject(wildcards)}/{fs_subject(wildcards)}_src.fif",
            bem=lambda wildcards: f"{HEADMODELS}/{fs_subject(wildcards)}/{fs_subject(wildcards)}_bem-sol.fif",
            code=code_of("forward"),
        output:
            recording_file("_fwd.fif"),
        params:
            mindist=FWD["mindist"],
        log:
            f"{LOGS}/forward/{RECORDING_ID}.log",
        benchmark:
            f"{BENCH}/forward/{RECORDING_ID}.tsv"
        threads: 1
        resources:
            mem_mb=4000,
            runtime=30,
        conda:
            "../../environment.yml"
        script:
            "../../scripts/forward.py"
