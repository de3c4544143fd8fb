-- Volume of snapshots (blocking): the latest users or products snapshot
-- loaded since the last promoted run has rows if the one before it had
-- (models/empty_snapshots.sql finds the ones that do not). Promoted, an
-- empty answer ([]) would withdraw every product. Accepted deliberately
-- (shoplake transform --accept-empty <entity>), it passes.
-- carts_not_empty.sql is the same test for carts, as a warning.
SELECT (SELECT count(*) FROM empty_snapshots WHERE entity IN ('users', 'products') AND NOT accepted),
       COALESCE(
           (SELECT string_agg(entity || ' ' || dt || ': 0 rows after ' || CAST(prev_rows AS VARCHAR) || ' on ' || prev_dt
                              || '; if the source really has none, run: shoplake transform --accept-empty ' || entity,
                              '; ' ORDER BY entity)
            FROM empty_snapshots WHERE entity IN ('users', 'products') AND NOT accepted),
           (SELECT string_agg(entity || ' ' || dt || ': empty, accepted (--accept-empty ' || entity || ')', '; ' ORDER BY entity)
            FROM empty_snapshots WHERE entity IN ('users', 'products') AND accepted)),
       CAST(NULL AS VARCHAR);
