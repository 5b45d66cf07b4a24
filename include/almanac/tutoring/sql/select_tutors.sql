-- Tutors of a run: every active tutor (or every tutor with include_inactive), optionally only the
-- requested ids. Ordered so batches are stable between a run and its reruns.
SELECT tutor_id
FROM tutoring.tutors
WHERE (%(include_inactive)s OR is_active)
  AND (%(tutor_ids)s::text[] IS NULL OR tutor_id = ANY(%(tutor_ids)s::text[]))
ORDER BY tutor_id
