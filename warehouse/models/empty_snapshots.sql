-- empty_snapshots (temporary): for users, products and carts, the latest
-- snapshot loaded since the last promoted run when it is empty and the one
-- before it had rows: an upstream outage answering [] until someone says
-- otherwise. The snapshot of an entity is its object of the latest logical
-- date (the key's dt=, then the key, as core_products.sql orders them).
-- accepted: by this run (shoplake transform --accept-empty <entity>,
-- transform_run.accept_empty) or by a promoted run that loaded it
-- (meta.transform_runs.accepted_empty), so that a full refresh keeps it.
-- Read by the checks snapshots_not_empty (users, products: blocking) and
-- carts_not_empty (a warning).
CREATE OR REPLACE TEMP TABLE empty_snapshots AS
WITH snapshots AS (
    SELECT entity, load_seq, row_count, substr(split_part(object_key, '/', 4), 4) AS dt,
           row_number() OVER (PARTITION BY entity
                              ORDER BY split_part(object_key, '/', 4) DESC, object_key DESC) AS rn
    FROM meta.loaded_objects
    WHERE entity IN ('users', 'products', 'carts')
)
SELECT l.entity, l.dt, p.dt AS prev_dt, p.row_count AS prev_rows,
       (((',' || r.accept_empty || ',') LIKE ('%,' || l.entity || ',%'))
        OR EXISTS (SELECT 1 FROM meta.transform_runs AS t
                   WHERE t.status = 'promoted' AND t.to_load_seq >= l.load_seq
                     AND (',' || t.accepted_empty || ',') LIKE ('%,' || l.entity || ',%'))) AS accepted
FROM snapshots AS l
JOIN snapshots AS p ON p.entity = l.entity AND p.rn = 2
CROSS JOIN transform_run AS r
WHERE l.rn = 1 AND l.row_count = 0 AND p.row_count > 0 AND l.load_seq > r.from_load_seq;
