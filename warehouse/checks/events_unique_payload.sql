-- Conflicting versions: event ids that arrived with different payloads,
-- as recorded in meta.event_conflicts (models/core_events.sql keeps the
-- earliest arrival). Reported while the conflict stands (a warning: CORE
-- holds one version by a fixed rule, and RAW keeps them all); exact copies
-- are plain duplicates and never appear here.
WITH bad AS (
    SELECT event_id,
           event_id || ' (' || CAST(count(*) AS VARCHAR) || ' versions, kept '
               || max(CASE WHEN kept THEN payload_hash END) || ')' AS k
    FROM meta.event_conflicts
    GROUP BY event_id
)
SELECT (SELECT count(*) FROM bad),
       (SELECT string_agg(k, ', ' ORDER BY event_id) FROM (SELECT event_id, k FROM bad ORDER BY event_id LIMIT 5) AS x),
       CAST(NULL AS VARCHAR);
