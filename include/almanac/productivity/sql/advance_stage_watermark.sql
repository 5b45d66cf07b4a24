-- Move a stage's watermark forward (never back).
INSERT INTO productivity.almanac_stage_watermarks (stage, computed_to)
VALUES (%(stage)s, %(computed_to)s)
ON CONFLICT (stage) DO UPDATE SET computed_to = greatest(almanac_stage_watermarks.computed_to, EXCLUDED.computed_to)
