# TF-MxNE workflow: a BIDS M/EEG study in, sparse time-frequency source estimates and
# reports out. Configuration: config.yaml (schema: workflow/schemas/config.schema.yaml).
configfile: "config.yaml"


include: "workflow/rules/common.smk"


if MBP_MODE:  # mne-bids-pipeline's derivatives replace our ingestion

    include: "workflow/rules/mbp.smk"

else:

    include: "workflow/rules/ingest.smk"
    include: "workflow/rules/covariance.smk"


include: "workflow/rules/forward.smk"
include: "workflow/rules/prior.smk"
include: "workflow/rules/solve.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/group.smk"


# Cheap study-level bookkeeping (all, study_summary, dataset_description) runs on the
# submitting host, not as cluster jobs: `localrule: True` in each rule, not a `localrules:`
# list, whose names a `module` import with `as prefix_*` does not rename.
rule all:
    input:
        all_outputs(),
    default_target: True
    localrule: True
