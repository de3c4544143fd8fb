-- $1 run_id: the last promoted run before it, and the first run after that
-- one (the start of the streak of runs not promoted that $1 ends, when $1
-- was not promoted itself): run_id and finished_at of each, NULLs if none.
SELECT p.run_id, p.finished_at, f.run_id, f.finished_at
FROM (SELECT 1 AS one) AS x
LEFT JOIN (
    SELECT run_id, finished_at FROM meta.transform_runs
    WHERE status = 'promoted' AND run_id < $1
    ORDER BY run_id DESC
    LIMIT 1
) AS p ON TRUE
LEFT JOIN (
    SELECT run_id, finished_at FROM meta.transform_runs
    WHERE run_id > COALESCE((SELECT max(run_id) FROM meta.transform_runs WHERE status = 'promoted' AND run_id < $1), 0)
    ORDER BY run_id
    LIMIT 1
) AS f ON TRUE;
