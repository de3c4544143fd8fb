-- $1 run_id: the run's staging range and status, and the event ids of the
-- range's rows that meta.event_conflicts records with more than one
-- version (as of the last promoted run: a run not promoted changed
-- nothing there).
SELECT r.from_load_seq, r.to_load_seq, r.status,
       (SELECT count(DISTINCT c.event_id)
        FROM meta.event_conflicts AS c
        WHERE c.event_id IN (SELECT e.event_id FROM staging.events AS e
                             WHERE e.load_seq > r.from_load_seq AND e.load_seq <= r.to_load_seq))
FROM meta.transform_runs AS r
WHERE r.run_id = $1;
