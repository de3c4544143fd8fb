-- QUARANTINE at load: the rows of a RAW object that Load could not type or
-- clean, each with its reason, written in the object's load transaction
-- instead of failing the load; and the rows Load stored with a value
-- changed (disposition repaired), so that the change is on record. The RAW
-- object keeps the row as served.
CREATE TABLE staging.quarantine (
    raw_key     VARCHAR NOT NULL,
    load_seq    BIGINT  NOT NULL,
    entity      VARCHAR NOT NULL,   -- users, products, carts, events
    row_no      BIGINT  NOT NULL,   -- array element or NDJSON line, 1-based
    disposition VARCHAR NOT NULL,   -- rejected: not in staging; repaired: in staging, a value changed
    reason      VARCHAR NOT NULL,
    record      VARCHAR             -- the row as served, as JSON text (a NUL stays escaped: \u0000)
);
