-- Sessions cover events: core.sessions (maintained from the events each run
-- changes, models/core_sessions.sql) counts every event of core.events, as
-- many as core.events holds. Otherwise something wrote CORE outside the
-- models, and the session marts, which read core.sessions, would not see
-- it: blocking. shoplake transform --full-refresh rebuilds both from STAGING.
-- Two counts over the whole of CORE, no grouping.
WITH e AS (
    SELECT count(*) AS events FROM core.events
),
s AS (
    SELECT CAST(COALESCE(sum(events), 0) AS BIGINT) AS events FROM core.sessions
)
SELECT CASE WHEN e.events = s.events THEN 0
            WHEN e.events > s.events THEN e.events - s.events
            ELSE s.events - e.events END,
       CASE WHEN e.events = s.events THEN NULL
            ELSE 'core.events holds ' || CAST(e.events AS VARCHAR) || ' events, core.sessions counts '
                 || CAST(s.events AS VARCHAR) END,
       CAST(NULL AS VARCHAR)
FROM e CROSS JOIN s;
