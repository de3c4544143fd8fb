-- $1 object_key: the object left the quarantine (loaded, gone, or examined
-- again).
DELETE FROM meta.quarantined_objects WHERE object_key = $1;
