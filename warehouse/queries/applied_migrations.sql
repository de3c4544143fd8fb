SELECT version, name FROM meta.schema_migrations ORDER BY version;
