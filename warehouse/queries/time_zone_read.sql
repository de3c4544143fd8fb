-- The business time zone the marts were built in, and whether a run was
-- ever promoted (before one, the marts hold nothing to rebuild).
SELECT (SELECT min(name) FROM meta.business_time_zone),
       (SELECT count(*) FROM meta.transform_runs WHERE status = 'promoted');
