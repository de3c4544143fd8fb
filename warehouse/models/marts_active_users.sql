-- marts.active_users, rebuilt on every run. The oracle's definition
-- (docs/MARTS.md §17; sim.World.ActiveUsers): one row per date from the
-- first to the last date with a user's session or a sign-up, every date in
-- between (zeros included):
--   dau      distinct users with a session dated D (core.sessions.user_id,
--            session_date; a session without a user counts nowhere);
--   wau, mau distinct users with a session dated in the 7, the 30 days
--            ending on D;
--   signups  core.users created on D, before as_of (run_params): the users
--            snapshot is read after the range ends;
--   stickiness = round(dau / mau, 4) half away from zero, NULL when mau = 0.
--
-- wau and mau without a distinct count per window: a user active on the
-- days d1 < d2 < ... counts in an N-day window on every D of
-- [d_i, min(d_i + N, d_i+1)), spans that never overlap and together cover
-- the dates with an active day among their last N. So the users counted on
-- D are the spans begun by D less those ended by D: a running sum of +1 at
-- each span's start and -1 at its end, one row per (user, active date) read
-- once, whatever N.
DELETE FROM marts.active_users;

INSERT INTO marts.active_users (date, dau, wau, mau, signups, stickiness)
WITH active AS (
    SELECT DISTINCT user_id, session_date AS day
    FROM core.sessions
    WHERE user_id IS NOT NULL
),
spans AS (
    SELECT day, lead(day) OVER (PARTITION BY user_id ORDER BY day) AS next_day
    FROM active
),
edges AS (
    SELECT day, 1 AS wau, 1 AS mau FROM spans
    UNION ALL
    SELECT least({{add_days "day" "7"}}, COALESCE(next_day, {{add_days "day" "7"}})), -1, 0 FROM spans
    UNION ALL
    SELECT least({{add_days "day" "30"}}, COALESCE(next_day, {{add_days "day" "30"}})), 0, -1 FROM spans
),
deltas AS (
    SELECT day, sum(wau) AS wau, sum(mau) AS mau
    FROM edges
    GROUP BY day
),
daily AS (
    SELECT day, count(*) AS dau
    FROM active
    GROUP BY day
),
signups AS (
    SELECT day, count(*) AS n
    FROM (SELECT {{local_date "u.created_at"}} AS day
          FROM core.users AS u
          CROSS JOIN run_params AS r
          WHERE u.created_at < r.as_of) AS u
    GROUP BY day
),
bounds AS (
    SELECT min(day) AS first_day, max(day) AS last_day
    FROM (SELECT day FROM daily UNION ALL SELECT day FROM signups) AS d
),
days AS (
    SELECT {{add_days "b.first_day" "g.k"}} AS day
    FROM bounds AS b
    CROSS JOIN generate_series(0, {{day_diff "b.last_day" "b.first_day"}}) AS g(k)
),
counts AS (
    SELECT d.day,
           CAST(COALESCE(a.dau, 0) AS BIGINT)                                                   AS dau,
           CAST(sum(COALESCE(x.wau, 0)) OVER (ORDER BY d.day ROWS UNBOUNDED PRECEDING) AS BIGINT) AS wau,
           CAST(sum(COALESCE(x.mau, 0)) OVER (ORDER BY d.day ROWS UNBOUNDED PRECEDING) AS BIGINT) AS mau,
           CAST(COALESCE(s.n, 0) AS BIGINT)                                                     AS signups
    FROM days AS d
    LEFT JOIN daily AS a ON a.day = d.day
    LEFT JOIN deltas AS x ON x.day = d.day
    LEFT JOIN signups AS s ON s.day = d.day
)
SELECT day, dau, wau, mau, signups,
       CASE WHEN mau = 0 THEN NULL
            ELSE CAST({{intdiv "2 * 10000 * dau + mau" "2 * mau"}} * CAST(0.0001 AS DECIMAL(5,4)) AS DECIMAL(9,4))
       END
FROM counts;
