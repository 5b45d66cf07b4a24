-- tutoring, version 3: how far cleanup has deleted. A run of a reference date R before it would write
-- back rows an in-order history no longer has (cleanup deleted them when a later R ran), so compute_batch
-- writes nothing for such an R. One row, only ever moved forward.
CREATE TABLE IF NOT EXISTS tutoring.almanac_retention_horizon (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    deleted_before timestamptz NOT NULL
);
