-- core.sessions: one row per session_id of core.events, derived from its
-- events and maintained incrementally (models/core_sessions.sql): a run
-- recomputes the sessions its changed events belong to, or belonged to
-- before a copy replaced them. The session-level marts (daily_kpis,
-- session_funnel, product and category conversion) read a session's date
-- and funnel step here instead of grouping core.events by session on every
-- run. Definitions in docs/MARTS.md §0 and §2. One row per session_id by
-- construction (the MERGE's key); no PRIMARY KEY, whose index DuckDB keeps
-- in memory whole: millions of sessions would hold a large part of the
-- warehouse's memory limit for a constraint the model already keeps.
CREATE TABLE core.sessions (
    session_id      VARCHAR   NOT NULL,
    session_date    DATE      NOT NULL, -- UTC date of its earliest event
    started_at      TIMESTAMP NOT NULL, -- its earliest event_time
    ended_at        TIMESTAMP NOT NULL, -- its latest event_time
    events          BIGINT    NOT NULL,
    purchase_events BIGINT    NOT NULL, -- purchase events, any order or none
    funnel_step     INTEGER   NOT NULL  -- 0 to 4: the last step of the funnel reached in order
);

-- core.session_products: one row per (session_id, product_id) that the
-- session viewed or added to the cart (events with a product_id), with the
-- session's date; maintained with core.sessions (models/
-- core_session_products.sql). Purchases are not here: which products a
-- purchase bought is read from the order it names, which the batch may
-- change after the event (the conversion marts join them on every run).
CREATE TABLE core.session_products (
    session_id   VARCHAR NOT NULL,
    product_id   BIGINT  NOT NULL,
    session_date DATE    NOT NULL,
    viewed       BOOLEAN NOT NULL,
    carted       BOOLEAN NOT NULL
);
