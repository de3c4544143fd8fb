-- Data-quality check results, one row per check per Transform run (see
-- warehouse/checks.go). status: pass; warn (a warning check found rows);
-- fail (a blocking check found rows: the run was blocked); skipped (the
-- check does not apply to this run, detail says why).
CREATE TABLE meta.check_results (
    run_id     BIGINT  NOT NULL,
    check_name VARCHAR NOT NULL,
    severity   VARCHAR NOT NULL,   -- blocking, warning
    status     VARCHAR NOT NULL,
    failures   BIGINT  NOT NULL,   -- offending rows
    detail     VARCHAR NOT NULL,
    PRIMARY KEY (run_id, check_name)
);
