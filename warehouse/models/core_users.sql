-- core.users: one row per user_id, the row source_versions.sql chooses (the
-- latest snapshot serving the user; a user it serves in conflicting
-- versions is rejected and leaves CORE until a later snapshot serves it
-- once). Only the email's keyed hash is kept.
CREATE OR REPLACE TEMP TABLE src_users AS
SELECT u.user_id, u.email_hash, u.country, u.created_at
FROM staging.fakestore_users AS u
JOIN meta.source_decisions AS v
  ON v.entity = 'users' AND v.load_seq = u.load_seq AND v.row_no = u.row_no
WHERE v.versions = 1;

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
WHEN NOT MATCHED BY SOURCE THEN
    DELETE
RETURNING merge_action;
