-- core.sessions gains the session's user (the smallest user_id among its
-- events, NULL for an anonymous session), which the user-level marts read
-- instead of grouping core.events, and funnel_step takes its new
-- definition: the furthest funnel step of which the session has an event,
-- whatever their order in time (docs/MARTS.md §2 says why). Both are
-- recomputed here for the sessions already in CORE, and every date with a
-- session is queued for backfill (queued_run 0: no run queued it), so
-- that the next transform rebuilds the marts that read funnel_step
-- (session_funnel, traffic_sources); until then the warning check
-- backfill_pending names the dates.
ALTER TABLE core.sessions ADD COLUMN user_id BIGINT;

UPDATE core.sessions
SET user_id = (SELECT min(e.user_id) FROM core.events AS e WHERE e.session_id = core.sessions.session_id),
    funnel_step = (SELECT max(CASE e.event_type WHEN 'product_view' THEN 1
                                                WHEN 'add_to_cart' THEN 2
                                                WHEN 'begin_checkout' THEN 3
                                                WHEN 'purchase' THEN 4
                                                ELSE 0 END)
                   FROM core.events AS e WHERE e.session_id = core.sessions.session_id);

INSERT INTO meta.backfill_queue (day, queued_run, reason, done_run)
SELECT DISTINCT s.session_date, 0, 'migration 024: funnel definition', CAST(NULL AS BIGINT)
FROM core.sessions AS s
WHERE NOT EXISTS (SELECT 1 FROM meta.backfill_queue AS q WHERE q.day = s.session_date AND q.done_run IS NULL);
