-- $1, $2: the rows of staging.quarantine with $1 < load_seq <= $2, by
-- entity and kind: rows and distinct records (an event's record is its RAW
-- line, stream position included, so a record in RAW twice is counted
-- once). The kinds of a rejected row come from the reasons Load writes
-- (raw.go): clock_ahead ("...: a clock ahead"), clock_behind ("... (a
-- clock behind)"), invalid (did not type, broke the contract); a row
-- stored with a value replaced is repaired.
SELECT entity,
       CASE WHEN disposition = 'repaired' THEN 'repaired'
            WHEN reason LIKE '%: a clock ahead' THEN 'clock_ahead'
            WHEN reason LIKE '%(a clock behind)' THEN 'clock_behind'
            ELSE 'invalid'
       END AS kind,
       count(*),
       count(DISTINCT record)
FROM staging.quarantine
WHERE load_seq > $1 AND load_seq <= $2
GROUP BY 1, 2
ORDER BY 1, 2;
