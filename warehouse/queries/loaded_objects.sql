-- The load ledger: each RAW object loaded and the sha256 of its body as
-- loaded (shoplake verify compares the lake with it).
SELECT object_key, sha256 FROM meta.loaded_objects;
