-- The FakeStore RAW keys that Load may read: committed by some run.
SELECT DISTINCT object_key FROM meta.ingest_objects WHERE status = 'committed';
