# input.source: evoked. The researcher's own -ave.fif files (input.evoked) replace our
# ingestion: measurement info, conditions and one evoked per condition come from them; the
# noise covariance is theirs too (noise_cov.source: file, rule noise_cov).


rule evoked_info:
    input:
        evoked=job(inputs.evoked_file),
    output:
        recording_file("_info.fif"),
    params:
        ch_types=SETTINGS["preprocessing"]["ch_types"],
        code=PLAN.code("evoked_info"),
    log:
        PATHS.log("evoked_info", RECORDING),
    benchmark:
        PATHS.benchmark("evoked_info", RECORDING)
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/evoked_info.py"


rule evoked_conditions:
    input:
        evoked=job(inputs.evoked_file),
    output:
        recording_file("_conditions.tsv"),
    params:
        labels=job(inputs.condition_labels),
        code=PLAN.code("evoked_conditions"),
    log:
        PATHS.log("evoked_conditions", RECORDING),
    benchmark:
        PATHS.benchmark("evoked_conditions", RECORDING)
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/evoked_conditions.py"


rule evoked_condition:
    input:
        evoked=job(inputs.evoked_file),
    output:
        condition_file("_ave.fif"),
    params:
        comment=job(inputs.trial_type),
        ch_types=SETTINGS["preprocessing"]["ch_types"],
        code=PLAN.code("evoked_condition"),
    log:
        PATHS.log("evoked_condition", CONDITION),
    benchmark:
        PATHS.benchmark("evoked_condition", CONDITION)
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/evoked_condition.py"
