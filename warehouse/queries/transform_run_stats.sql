-- After the models of a run: events inserted or replaced, their latest
-- event_time, late events flagged, days rebuilt, days queued, queued days
-- rebuilt, days still queued.
SELECT (SELECT count(*) FROM changed_events),
       (SELECT max(event_time) FROM changed_events),
       (SELECT count(*) FROM meta.late_events WHERE run_id = (SELECT run_id FROM transform_run)),
       (SELECT count(*) FROM affected_days),
       (SELECT count(*) FROM meta.backfill_queue WHERE queued_run = (SELECT run_id FROM transform_run)),
       (SELECT count(*) FROM backfill_days),
       (SELECT count(*) FROM meta.backfill_queue WHERE done_run IS NULL);
