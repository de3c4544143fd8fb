-- The tables TableHashes covers, with their columns in table order.
SELECT table_schema, table_name, column_name, data_type
FROM information_schema.columns
WHERE table_schema IN ('core', 'marts')
ORDER BY table_schema, table_name, ordinal_position;
