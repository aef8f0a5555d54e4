# Noise covariance from the pre-stimulus baseline (default) or the empty-room recording.


rule noise_cov:
    input:
        unpack(noise_cov_inputs),
    output:
        recording_file("_cov.fif"),
    params:
        noise_cov=config["noise_cov"],
        l_freq=config["preprocessing"]["l_freq"],
        h_freq=config["preprocessing"]["h_freq"],
    log:
        f"{LOGS}/noise_cov/{RECORDING_ID}.log",
    benchmark:
        f"{BENCH}/noise_cov/{RECORDING_ID}.tsv"
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/noise_cov.py"
