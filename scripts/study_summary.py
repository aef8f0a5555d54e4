"""Rule study_summary: one table (TSV + HTML) over all subjects and conditions."""
from tfmxne.pipeline import io, summary
from tfmxne.pipeline.logs import logging_to

with logging_to(snakemake.log[0]):
    table = summary.study_table(
        snakemake.input.sources, snakemake.input.convergence, snakemake.input.conditions
    )
    io.write_tsv(snakemake.output.tsv, table)
    io.write_text(snakemake.output.html, summary.study_html(table, snakemake.input.reports, snakemake.output.html))
