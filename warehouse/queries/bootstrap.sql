-- Run before every migration pass: the table that records the migrations.
CREATE SCHEMA IF NOT EXISTS meta;
CREATE TABLE IF NOT EXISTS meta.schema_migrations (
    version BIGINT PRIMARY KEY,
    name    VARCHAR NOT NULL
);
