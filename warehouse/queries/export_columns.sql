-- The tables of the marts schema, with their columns in table order: what
-- ExportMarts exports (numeric_scale: the scale of a DECIMAL column).
SELECT table_name, column_name, data_type, numeric_precision, numeric_scale
FROM information_schema.columns
WHERE table_schema = 'marts'
ORDER BY table_name, ordinal_position;
