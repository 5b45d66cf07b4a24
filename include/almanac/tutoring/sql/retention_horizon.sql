-- Rows for reference dates before this instant were deleted by cleanup (NULL: never cleaned up).
SELECT max(deleted_before) FROM tutoring.almanac_retention_horizon
