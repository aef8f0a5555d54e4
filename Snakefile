# TF-MxNE workflow: a BIDS M/EEG study in, sparse time-frequency source estimates and
# reports out. Configuration: `--configfile my.yaml` (a copy of config.yaml) over the defaults
# of workflow/schemas/config.schema.yaml; no `configfile:` here, so no file's values sit
# under the user's (the demo's are workflow/demo/config.yaml, which `make demo` passes).


include: "workflow/rules/common.smk"


if PLAN.mbp_input:  # mne-bids-pipeline's derivatives replace our ingestion

    include: "workflow/rules/mbp.smk"

elif PLAN.evoked_input:  # the researcher's own -ave.fif files replace it

    include: "workflow/rules/evoked_input.smk"
    include: "workflow/rules/noise_cov.smk"

else:

    include: "workflow/rules/ingest.smk"
    include: "workflow/rules/noise_cov.smk"


include: "workflow/rules/forward.smk"
include: "workflow/rules/dspm.smk"
include: "workflow/rules/dense.smk"
include: "workflow/rules/solve.smk"
include: "workflow/rules/report.smk"
include: "workflow/rules/group.smk"


# Cheap study-level bookkeeping (all, study_summary, dataset_description) runs on the
# submitting host, not as cluster jobs: `localrule: True` in each rule, not a `localrules:`
# list, whose names a `module` import with `as prefix_*` does not rename.
rule all:
    input:
        inputs.all_outputs(PLAN),
    default_target: True
    localrule: True
