-- Unique ids: every event_id this run inserts or replaces (changed_events)
-- is one row of core.events. core.events has no primary key (migration
-- 019); core_events.sql deduplicates the batch and merges on event_id, and
-- this check holds it to that where the run wrote, without grouping the
-- whole table.
WITH bad AS (
    SELECT e.event_id AS k
    FROM core.events AS e
    WHERE e.event_id IN (SELECT event_id FROM changed_events)
    GROUP BY e.event_id
    HAVING count(*) > 1
)
SELECT (SELECT count(*) FROM bad),
       (SELECT string_agg(k, ', ' ORDER BY k) FROM (SELECT k FROM bad ORDER BY k LIMIT 5) AS x),
       CAST(NULL AS VARCHAR);
