"""Demo and embedded runtime: embedded PostgreSQL, synthetic data per domain, fake external services."""
