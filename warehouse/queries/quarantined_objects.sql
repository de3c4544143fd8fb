-- The RAW objects Load set aside, with the version it examined.
SELECT object_key, etag, size_bytes FROM meta.quarantined_objects;
