"""discourse (seed 000): forum engagement metrics — daily incremental refresh and trimester full reset."""
