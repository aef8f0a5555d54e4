# BIDS ingestion: measurement info (for the forward), epochs of all runs, one evoked per condition.


rule measurement_info:
    input:
        raw=job(inputs.first_raw_file),
    output:
        recording_file("_info.fif"),
    params:
        ch_types=SETTINGS["preprocessing"]["ch_types"],
        montage=SETTINGS["preprocessing"]["montage"],
        code=PLAN.code("measurement_info"),
    log:
        PATHS.log("measurement_info", RECORDING),
    benchmark:
        PATHS.benchmark("measurement_info", RECORDING)
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/measurement_info.py"


rule epochs:
    input:
        raws=job(inputs.raw_files),
        sidecars=job(inputs.sidecars),
    output:
        epochs=recording_file("_epo.fif"),
        conditions=recording_file("_conditions.tsv"),
    params:
        labels=job(inputs.condition_labels),
        preprocessing=SETTINGS["preprocessing"],
        code=PLAN.code("epochs"),
    log:
        PATHS.log("epochs", RECORDING),
    benchmark:
        PATHS.benchmark("epochs", RECORDING)
    threads: 1
    resources:
        mem_mb=8000,
        runtime=30,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/epochs.py"


rule evoked:
    input:
        epochs=recording_file("_epo.fif"),
    output:
        condition_file("_ave.fif"),
    params:
        trial_type=job(inputs.trial_type),
        code=PLAN.code("evoked"),
    log:
        PATHS.log("evoked", CONDITION),
    benchmark:
        PATHS.benchmark("evoked", CONDITION)
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/evoked.py"
