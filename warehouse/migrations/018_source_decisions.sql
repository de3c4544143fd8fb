-- The FakeStore rule for duplicate ids (models/source_versions.sql,
-- docs/ARCHITECTURE.md "Duplicate ids from the source"), kept from run to
-- run so that a run reads only the objects it loads, not every snapshot
-- STAGING has ever held (a daily users snapshot repeats every user).
-- Objects are named by their load_seq, not their key: millions of rows of
-- integers, where keys would be as many long strings.
--
-- meta.source_objects: one row per (entity, id, object) served: how many
-- different versions of the id the object serves and the row of its first
-- copy. A fact of the object alone: written once, when the object is
-- transformed for the first time.
CREATE TABLE meta.source_objects (
    entity        VARCHAR NOT NULL, -- users, products, carts
    business_key  BIGINT  NOT NULL,
    load_seq      BIGINT  NOT NULL, -- the object (meta.loaded_objects.load_seq)
    snapshot_date DATE    NOT NULL,
    row_no        BIGINT  NOT NULL, -- the id's first row in the object
    versions      BIGINT  NOT NULL
);

-- meta.source_decisions: one row per (entity, id), its deciding object:
-- the latest serving it (snapshot_date, then raw_key, descending), with the
-- same columns. A run replaces the rows of the ids its new objects serve
-- when one of them comes later.
CREATE TABLE meta.source_decisions (
    entity        VARCHAR NOT NULL,
    business_key  BIGINT  NOT NULL,
    load_seq      BIGINT  NOT NULL,
    snapshot_date DATE    NOT NULL,
    row_no        BIGINT  NOT NULL,
    versions      BIGINT  NOT NULL
);
