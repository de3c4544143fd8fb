-- The ingestion ledger (warehouse.IngestLedger, the ingest.Ledger of the
-- batch side). A run ingests one logical date; its objects are recorded with
-- the run's outcome in one transaction, and Load reads a FakeStore RAW object
-- only if some run committed its key. No wall-clock time: run ids come from a
-- sequence, and started_at/finished_at from the ingester's clock (simulated
-- in tests and local runs).
CREATE SEQUENCE meta.ingest_run_id START 1;

CREATE TABLE meta.ingest_runs (
    run_id       BIGINT  PRIMARY KEY,
    logical_date DATE    NOT NULL,
    attempt      BIGINT  NOT NULL,   -- 1 for the date's first run, 2 for its first rerun...
    status       VARCHAR NOT NULL,   -- running, committed, unchanged, failed
    requests     BIGINT,             -- HTTP requests sent, retries included
    retries      BIGINT,
    started_at   TIMESTAMP NOT NULL,
    finished_at  TIMESTAMP,
    error        VARCHAR             -- why a failed run failed (never a response body)
);

-- Every object a run saw. status: committed (visible), unchanged (already
-- committed by an earlier run of the date), abandoned (the run failed: the
-- object may be in RAW but stays invisible until a rerun commits its key).
CREATE TABLE meta.ingest_objects (
    run_id        BIGINT  NOT NULL,
    object_key    VARCHAR NOT NULL,
    sha256        VARCHAR NOT NULL,
    size_bytes    BIGINT  NOT NULL,
    row_count     BIGINT  NOT NULL,
    duplicate_ids BIGINT  NOT NULL,  -- rows repeating an id already seen in the object
    entity        VARCHAR NOT NULL,
    logical_date  DATE    NOT NULL,
    status        VARCHAR NOT NULL,
    PRIMARY KEY (run_id, object_key)
);

-- Rows kept out of CORE by a model, with the reason (rebuilt by Transform):
-- today, carts whose id the latest object serving them repeats with
-- different content (models/chosen_carts.sql).
CREATE TABLE meta.rejected_rows (
    entity        VARCHAR NOT NULL,  -- carts
    business_key  BIGINT  NOT NULL,  -- the cart id
    raw_key       VARCHAR NOT NULL,
    row_no        BIGINT  NOT NULL,  -- position in the object, 1-based
    snapshot_date DATE    NOT NULL,
    reason        VARCHAR NOT NULL
);
