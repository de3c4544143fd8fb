-- Volume of carts (warning): snapshots_not_empty.sql's test for the carts
-- of the latest logical date. Only a warning: carts are served per date,
-- and a day without orders is normal (a quiet day, a small shop), while an
-- empty answer changes nothing already in CORE (the orders of earlier
-- dates stay). An outage of /carts also shows as purchase events naming no
-- order (purchases_orphan). --accept-empty carts silences it.
WITH snapshots AS (
    SELECT entity, load_seq, row_count, substr(split_part(object_key, '/', 4), 4) AS dt,
           row_number() OVER (PARTITION BY entity
                              ORDER BY split_part(object_key, '/', 4) DESC, object_key DESC) AS rn
    FROM meta.loaded_objects
    WHERE entity = 'carts'
),
vanished AS (
    SELECT l.entity, l.dt, p.dt AS prev_dt, p.row_count AS prev_rows,
           (((',' || r.accept_empty || ',') LIKE ('%,' || l.entity || ',%'))
            OR EXISTS (SELECT 1 FROM meta.transform_runs AS t
                       WHERE t.status = 'promoted' AND t.to_load_seq >= l.load_seq
                         AND (',' || t.accepted_empty || ',') LIKE ('%,' || l.entity || ',%'))) AS accepted
    FROM snapshots AS l
    JOIN snapshots AS p ON p.entity = l.entity AND p.rn = 2
    CROSS JOIN transform_run AS r
    WHERE l.rn = 1 AND l.row_count = 0 AND p.row_count > 0 AND l.load_seq > r.from_load_seq
)
SELECT (SELECT count(*) FROM vanished WHERE NOT accepted),
       COALESCE(
           (SELECT string_agg(entity || ' ' || dt || ': 0 rows after ' || CAST(prev_rows AS VARCHAR) || ' on ' || prev_dt
                              || ' (a quiet day, or /carts answered [] in an outage: compare with the day''s purchase events)',
                              '; ' ORDER BY entity)
            FROM vanished WHERE NOT accepted),
           (SELECT string_agg(entity || ' ' || dt || ': empty, accepted (--accept-empty ' || entity || ')', '; ' ORDER BY entity)
            FROM vanished WHERE accepted)),
       CAST(NULL AS VARCHAR);
