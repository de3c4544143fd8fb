-- The load ledger: one row per RAW object loaded into staging, written in the
-- same transaction as the object's staging rows. No wall-clock time: load_seq
-- numbers the loads of this database 1, 2, 3... in the order they committed.
CREATE TABLE meta.loaded_objects (
    object_key VARCHAR PRIMARY KEY,   -- the RAW key
    sha256     VARCHAR NOT NULL,      -- hex SHA-256 of the body, from the lake listing
    size_bytes BIGINT  NOT NULL,      -- body size as stored (compressed if .gz)
    row_count  BIGINT  NOT NULL,      -- staging rows written (all tables)
    entity     VARCHAR NOT NULL,      -- users, products, carts, events
    load_seq   BIGINT  NOT NULL UNIQUE
);
