"""Consent Ledger's Dagster code location, CLI and synthetic data generator."""
