"""Rule study_summary: one table (TSV + HTML) over all subjects and conditions."""
from tfmxne_workflow import atomic
from tfmxne_workflow.jobs import job_context
from tfmxne_workflow.stages import summary

with job_context(snakemake):
    table = summary.study_table(
        snakemake.input.sources, snakemake.input.convergence, snakemake.input.evoked,
        snakemake.input.residual, snakemake.input.conditions,
    )
    atomic.write_tsv(snakemake.output.tsv, table)
    group_report = next(iter(snakemake.input.group_report), None)
    atomic.write_text(snakemake.output.html,
                      summary.study_html(table, snakemake.input.reports, snakemake.output.html, group_report))
