-- The zones of the warehouse. meta (migrations, ledger) is created by the
-- bootstrap that runs before any migration.
CREATE SCHEMA IF NOT EXISTS staging;
CREATE SCHEMA IF NOT EXISTS core;
CREATE SCHEMA IF NOT EXISTS marts;
