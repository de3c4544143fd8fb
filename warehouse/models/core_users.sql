-- core.users: one row per user_id; the latest snapshot wins (snapshot_date,
-- then raw_key, then row position, descending). Only the email's keyed hash
-- is kept.
CREATE OR REPLACE TEMP TABLE src_users AS
SELECT user_id, email_hash, country, created_at
FROM (
    SELECT u.*,
           row_number() OVER (PARTITION BY user_id
                              ORDER BY snapshot_date DESC, raw_key DESC, row_no DESC) AS rn
    FROM staging.fakestore_users AS u
) AS ranked
WHERE rn = 1;

MERGE INTO core.users AS t
USING src_users AS s
ON t.user_id = s.user_id
WHEN MATCHED AND (t.email_hash IS DISTINCT FROM s.email_hash
               OR t.country IS DISTINCT FROM s.country
               OR t.created_at IS DISTINCT FROM s.created_at) THEN
    UPDATE SET email_hash = s.email_hash, country = s.country, created_at = s.created_at
WHEN NOT MATCHED THEN
    INSERT (user_id, email_hash, country, created_at)
    VALUES (s.user_id, s.email_hash, s.country, s.created_at)
RETURNING merge_action;
