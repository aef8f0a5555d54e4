"""Workflow stages: one module per stage, called by the rule scripts (no Snakemake inside)."""
