# BIDS ingestion: measurement info (for the forward), epochs of all runs, one evoked per condition.


rule measurement_info:
    input:
        raw=lambda wildcards: raw_files(wildcards)[0],
        code=code_of("measurement_info"),
    output:
        recording_file("_info.fif"),
    params:
        ch_types=config["preprocessing"]["ch_types"],
    log:
        f"{LOGS}/measurement_info/{RECORDING_ID}.log",
    benchmark:
        f"{BENCH}/measurement_info/{RECORDING_ID}.tsv"
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
        raws=raw_files,
        sidecars=sidecars,
        code=code_of("epochs"),
    output:
        epochs=recording_file("_epo.fif"),
        conditions=recording_file("_conditions.tsv"),
    params:
        labels=labels_of,
        preprocessing=config["preprocessing"],
    log:
        f"{LOGS}/epochs/{RECORDING_ID}.log",
    benchmark:
        f"{BENCH}/epochs/{RECORDING_ID}.tsv"
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
        code=code_of("evoked"),
    output:
        recording_file("_desc-{cond}_ave.fif"),
    params:
        trial_type=lambda wildcards: LABELS[wildcards.cond],
    log:
        f"{LOGS}/evoked/{CONDITION_ID}.log",
    benchmark:
        f"{BENCH}/evoked/{CONDITION_ID}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/evoked.py"
