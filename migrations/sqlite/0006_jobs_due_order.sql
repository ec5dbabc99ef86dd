-- The lease query takes the most overdue job, ties broken by id (`ORDER BY due_at,
-- id`). An index on due_at alone leaves every tie to a sort: when thousands of jobs
-- fall due at one instant (a fleet scheduled together, a restart, `schedule_now` of
-- many stores), each lease read and sorted all of them. Ordered by both, a lease
-- reads the first free row of the index.
DROP INDEX jobs_due;
CREATE INDEX jobs_due ON jobs (due_at, id);
