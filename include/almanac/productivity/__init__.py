"""productivity (seed 003): staged recalculation of derived tables over a date range."""
