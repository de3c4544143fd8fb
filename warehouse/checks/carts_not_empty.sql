-- Volume of carts (warning): snapshots_not_empty.sql's test for the carts
-- of the latest logical date (models/empty_snapshots.sql). Only a warning:
-- carts are served per date, and a day without orders is normal (a quiet
-- day, a small shop), while an empty answer changes nothing already in
-- CORE (the orders of earlier dates stay). An outage of /carts also shows
-- as purchase events naming no order (purchases_orphan). --accept-empty
-- carts silences it.
SELECT (SELECT count(*) FROM empty_snapshots WHERE entity = 'carts' AND NOT accepted),
       COALESCE(
           (SELECT string_agg(entity || ' ' || dt || ': 0 rows after ' || CAST(prev_rows AS VARCHAR) || ' on ' || prev_dt
                              || ' (a quiet day, or /carts answered [] in an outage: compare with the day''s purchase events)',
                              '; ' ORDER BY entity)
            FROM empty_snapshots WHERE entity = 'carts' AND NOT accepted),
           (SELECT string_agg(entity || ' ' || dt || ': empty, accepted (--accept-empty ' || entity || ')', '; ' ORDER BY entity)
            FROM empty_snapshots WHERE entity = 'carts' AND accepted)),
       CAST(NULL AS VARCHAR);
