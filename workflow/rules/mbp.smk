# input.source: mne-bids-pipeline. MBP's cleaned epochs, evokeds, noise covariance and
# forward replace our ingest and noise_cov rules (tfmxne_workflow/mbp.py finds them).


rule mbp_info:
    input:
        epochs=job(inputs.mbp_epochs),
    output:
        recording_file("_info.fif"),
    params:
        code=PLAN.code("mbp_info"),
    log:
        PATHS.log("mbp_info", RECORDING),
    benchmark:
        PATHS.benchmark("mbp_info", RECORDING)
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
        epochs=job(inputs.mbp_epochs),
    output:
        recording_file("_conditions.tsv"),
    params:
        labels=job(inputs.condition_labels),
        selectors=job(inputs.mbp_selectors),
        code=PLAN.code("mbp_conditions"),
    log:
        PATHS.log("mbp_conditions", RECORDING),
    benchmark:
        PATHS.benchmark("mbp_conditions", RECORDING)
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
        unpack(job(inputs.mbp_evoked)),
    output:
        condition_file("_ave.fif"),
    params:
        name=job(inputs.trial_type),
        selector=job(inputs.mbp_selector),
        code=PLAN.code("mbp_evoked"),
    log:
        PATHS.log("mbp_evoked", CONDITION),
    benchmark:
        PATHS.benchmark("mbp_evoked", CONDITION)
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
        unpack(job(inputs.mbp_noise_cov)),
    output:
        recording_file("_cov.fif"),
    params:
        tmax=SETTINGS["noise_cov"]["tmax"],
        method=SETTINGS["noise_cov"]["method"],
        code=PLAN.code("mbp_noise_cov"),
    log:
        PATHS.log("mbp_noise_cov", RECORDING),
    benchmark:
        PATHS.benchmark("mbp_noise_cov", RECORDING)
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
        unpack(job(inputs.mbp_provenance)),
    output:
        PATHS.mbp_provenance,
    params:
        mbp_root=str(PLAN.mbp_root),
        task=PATHS.task,
        code=PLAN.code("mbp_provenance"),
    log:
        f"{PATHS.logs}/mbp_provenance.log",
    benchmark:
        f"{PATHS.benchmarks}/mbp_provenance.tsv"
    threads: 1
    resources:
        mem_mb=500,
        runtime=5,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/mbp_provenance.py"


if PLAN.mbp_forward:

    ruleorder: mbp_forward > forward

    rule mbp_forward:
        input:
            unpack(job(inputs.mbp_forward)),
        output:
            recording_file("_fwd.fif"),
        params:
            code=PLAN.code("mbp_forward"),
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
            "../../scripts/mbp_forward.py"
