# Noise covariance from the pre-stimulus baseline (default) or the empty-room recording.


rule noise_cov:
    input:
        unpack(job(inputs.noise_cov)),
    output:
        recording_file("_cov.fif"),
    params:
        noise_cov=SETTINGS["noise_cov"],
        l_freq=SETTINGS["preprocessing"]["l_freq"],
        h_freq=SETTINGS["preprocessing"]["h_freq"],
        code=PLAN.code("noise_cov"),
    log:
        PATHS.log("noise_cov", RECORDING),
    benchmark:
        PATHS.benchmark("noise_cov", RECORDING)
    threads: 1
    resources:
        mem_mb=4000,
        runtime=30,
    conda:
        "../../environment.yml"
    script:
        "../../scripts/noise_cov.py"
