-- marts.active_users (docs/MARTS.md §17): distinct users with a session on
-- the date, in the 7 and in the 30 days ending on it, sign-ups, and
-- stickiness (dau / mau), for every date from the first to the last with
-- a user's session or a sign-up. Rebuilt on every run
-- (models/marts_active_users.sql).
CREATE TABLE marts.active_users (
    date       DATE    NOT NULL,
    dau        BIGINT  NOT NULL,
    wau        BIGINT  NOT NULL,
    mau        BIGINT  NOT NULL,
    signups    BIGINT  NOT NULL,
    stickiness DECIMAL(9,4)      -- dau / mau; NULL when mau = 0
);
