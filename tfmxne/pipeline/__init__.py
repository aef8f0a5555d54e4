"""Stage functions called by the Snakemake rule scripts (no Snakemake inside)."""
