-- How far a "current state" stage has been computed (NULL before its first run); locks the row.
SELECT computed_to FROM productivity.almanac_stage_watermarks WHERE stage = %(stage)s FOR UPDATE
