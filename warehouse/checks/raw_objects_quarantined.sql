-- RAW objects that Load set aside instead of loading
-- (meta.quarantined_objects): put there by another tool, corrupted after
-- their write, truncated, not what their key says. Their records are in
-- neither STAGING nor CORE until someone replaces or removes them;
-- shoplake verify lists every one.
WITH bad AS (
    SELECT object_key || ' (' || reason || ')' AS k FROM meta.quarantined_objects
)
SELECT (SELECT count(*) FROM bad),
       (SELECT string_agg(k, ', ' ORDER BY k) FROM (SELECT k FROM bad ORDER BY k LIMIT 5) AS x),
       CAST(NULL AS VARCHAR);
