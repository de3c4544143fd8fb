-- Rows of meta.rejected_rows by entity: versions of a source id that a
-- model kept out of CORE (rebuilt by every promoted run).
SELECT entity, count(*) FROM meta.rejected_rows GROUP BY entity ORDER BY entity;
