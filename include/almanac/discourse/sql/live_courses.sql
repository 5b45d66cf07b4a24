-- The courses of the live version: what a refresh fetches a delta for.
SELECT category_id, name FROM discourse.courses ORDER BY category_id
