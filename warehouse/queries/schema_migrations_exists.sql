-- Whether the database has been migrated at all (meta.schema_migrations
-- exists): read by read-only opens, which cannot run bootstrap.sql.
SELECT count(*) FROM information_schema.tables
WHERE table_schema = 'meta' AND table_name = 'schema_migrations';
