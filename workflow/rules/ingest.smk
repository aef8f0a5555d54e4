# BIDS ingestion: measurement info (for the forward), epochs of all runs, one evoked per condition.


rule measurement_info:
    input:
        raw=lambda wildcards: raw_files(wildcards)[0],
        code=code_file("pipeline/bids_io"),
    output:
        rec("_info.fif"),
    params:
        ch_types=config["preprocessing"]["ch_types"],
    log:
        f"{LOGS}/measurement_info/{REC}.log",
    benchmark:
        f"{BENCH}/measurement_info/{REC}.tsv"
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
        code=code_file("pipeline/bids_io"),
    output:
        epochs=rec("_epo.fif"),
        conditions=rec("_conditions.tsv"),
    params:
        labels=labels_of,
        preprocessing=config["preprocessing"],
    log:
        f"{LOGS}/epochs/{REC}.log",
    benchmark:
        f"{BENCH}/epochs/{REC}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/epochs.py"


rule evoked:
    input:
        epochs=rec("_epo.fif"),
        code=code_file("pipeline/bids_io"),
    output:
        rec("_desc-{cond}_ave.fif"),
    params:
        trial_type=lambda wildcards: LABELS[wildcards.cond],
    log:
        f"{LOGS}/evoked/{REC_COND}.log",
    benchmark:
        f"{BENCH}/evoked/{REC_COND}.tsv"
    threads: 1
    resources:
        mem_mb=2000,
        runtime=10,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/evoked.py"
