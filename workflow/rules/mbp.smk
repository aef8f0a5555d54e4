# input.source: mne-bids-pipeline. MBP's cleaned epochs, evokeds, noise covariance and
# forward replace our ingest and covariance rules (tfmxne_workflow/mbp.py finds them).


rule mbp_info:
    input:
        epochs=lambda wildcards: str(mbp_files(wildcards).epochs),
        code=code_of("mbp_info"),
    output:
        recording_file("_info.fif"),
    log:
        f"{LOGS}/mbp_info/{RECORDING_ID}.log",
    benchmark:
        f"{BENCH}/mbp_info/{RECORDING_ID}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/mbp_info.py"


rule mbp_conditions:
    input:
        epochs=lambda wildcards: str(mbp_files(wildcards).epochs),
        code=code_of("mbp_conditions"),
    output:
        recording_file("_conditions.tsv"),
    params:
        labels=labels_of,
        selectors=mbp_selectors,
    log:
        f"{LOGS}/mbp_conditions/{RECORDING_ID}.log",
    benchmark:
        f"{BENCH}/mbp_conditions/{RECORDING_ID}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/mbp_conditions.py"


rule mbp_evoked:
    input:
        unpack(mbp_evoked_inputs),
    output:
        recording_file("_desc-{cond}_ave.fif"),
    params:
        name=lambda wildcards: LABELS[wildcards.cond],
        selector=lambda wildcards: mbp_selectors(wildcards)[LABELS[wildcards.cond]],
    log:
        f"{LOGS}/mbp_evoked/{CONDITION_ID}.log",
    benchmark:
        f"{BENCH}/mbp_evoked/{CONDITION_ID}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=10,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/mbp_evoked.py"


rule mbp_noise_cov:
    input:
        unpack(mbp_cov_inputs),
    output:
        recording_file("_cov.fif"),
    params:
        tmax=config["noise_cov"]["tmax"],
        method=config["noise_cov"]["method"],
    log:
        f"{LOGS}/mbp_noise_cov/{RECORDING_ID}.log",
    benchmark:
        f"{BENCH}/mbp_noise_cov/{RECORDING_ID}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/mbp_noise_cov.py"


rule mbp_provenance:
    input:
        unpack(mbp_provenance_inputs),
    output:
        MBP_PROVENANCE,
    params:
        mbp_root=str(MBP_ROOT),
        task=TASK,
    log:
        f"{LOGS}/mbp_provenance.log",
    benchmark:
        f"{BENCH}/mbp_provenance.tsv"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/mbp_provenance.py"


if MBP_FORWARD:

    ruleorder: mbp_forward > forward

    rule mbp_forward:
        input:
            fwd=lambda wildcards: str(mbp_files(wildcards).fwd),
            epochs=lambda wildcards: str(mbp_files(wildcards).epochs),
            code=code_of("mbp_forward"),
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
            "../../scripts/mbp_forward.py"
