-- RAW objects that Load set aside instead of loading, one row per key while
-- the object is in RAW as it was examined: a file another tool put there
-- (no sha256 recorded), a body that no longer matches the sha256 recorded
-- at write (corrupt), a truncated gzip, a FakeStore snapshot that is not a
-- JSON array, a key outside the RAW layout. Load does not read such an
-- object again while its listing shows the same ETag and size; when it
-- changes it is examined again (and loaded, or its row replaced), and when
-- it is gone from RAW, or loaded, its row is deleted. The check
-- raw_objects_quarantined names them; shoplake verify finds them from the
-- lake alone.
CREATE TABLE meta.quarantined_objects (
    object_key VARCHAR PRIMARY KEY,   -- the RAW key
    etag       VARCHAR NOT NULL,      -- the version examined, from the listing ('' if none)
    size_bytes BIGINT  NOT NULL,      -- its size as listed
    reason     VARCHAR NOT NULL,      -- in plain words: "truncated gzip"
    detail     VARCHAR NOT NULL,      -- the error in full (sha256s, the parser's message)
    head       VARCHAR NOT NULL       -- its first 64 bytes, printable ASCII kept, \n \t \r \\, others \xHH
);
