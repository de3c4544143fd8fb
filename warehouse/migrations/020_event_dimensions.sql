-- Event contract version 2 (stream/event.go, docs/ARCHITECTURE.md): the
-- dimensions analysts segment by, normalised at load (internal/clean.
-- Dimension), and the fields the contract does not name (extra, a JSON
-- object, NULL when there are none). Rows loaded before (version 1 events,
-- which carry no dimension) take 'unknown', as a version 1 event loaded
-- from now on does. One column per statement (Redshift adds one at a
-- time), without NOT NULL, which DuckDB cannot add to a column and Redshift
-- cannot set afterwards: the load always writes a value, and the blocking
-- check events_not_null covers the dimensions.
ALTER TABLE staging.events ADD COLUMN device_type VARCHAR DEFAULT 'unknown';
ALTER TABLE staging.events ADD COLUMN device_os VARCHAR DEFAULT 'unknown';
ALTER TABLE staging.events ADD COLUMN device_browser VARCHAR DEFAULT 'unknown';
ALTER TABLE staging.events ADD COLUMN channel VARCHAR DEFAULT 'unknown';
ALTER TABLE staging.events ADD COLUMN utm_source VARCHAR DEFAULT 'unknown';
ALTER TABLE staging.events ADD COLUMN utm_medium VARCHAR DEFAULT 'unknown';
ALTER TABLE staging.events ADD COLUMN utm_campaign VARCHAR DEFAULT 'unknown';
ALTER TABLE staging.events ADD COLUMN referrer_host VARCHAR DEFAULT 'unknown';
ALTER TABLE staging.events ADD COLUMN page_path VARCHAR DEFAULT 'unknown';
ALTER TABLE staging.events ADD COLUMN country VARCHAR DEFAULT 'unknown';
ALTER TABLE staging.events ADD COLUMN extra VARCHAR;

ALTER TABLE core.events ADD COLUMN device_type VARCHAR DEFAULT 'unknown';
ALTER TABLE core.events ADD COLUMN device_os VARCHAR DEFAULT 'unknown';
ALTER TABLE core.events ADD COLUMN device_browser VARCHAR DEFAULT 'unknown';
ALTER TABLE core.events ADD COLUMN channel VARCHAR DEFAULT 'unknown';
ALTER TABLE core.events ADD COLUMN utm_source VARCHAR DEFAULT 'unknown';
ALTER TABLE core.events ADD COLUMN utm_medium VARCHAR DEFAULT 'unknown';
ALTER TABLE core.events ADD COLUMN utm_campaign VARCHAR DEFAULT 'unknown';
ALTER TABLE core.events ADD COLUMN referrer_host VARCHAR DEFAULT 'unknown';
ALTER TABLE core.events ADD COLUMN page_path VARCHAR DEFAULT 'unknown';
ALTER TABLE core.events ADD COLUMN country VARCHAR DEFAULT 'unknown';
ALTER TABLE core.events ADD COLUMN extra VARCHAR;

-- A session's dimensions are those of its first event (earliest
-- event_time, then smallest event_id): the device it ran on, the traffic
-- source that brought it, its landing page (docs/MARTS.md §0).
ALTER TABLE core.sessions ADD COLUMN device_type VARCHAR DEFAULT 'unknown';
ALTER TABLE core.sessions ADD COLUMN device_os VARCHAR DEFAULT 'unknown';
ALTER TABLE core.sessions ADD COLUMN device_browser VARCHAR DEFAULT 'unknown';
ALTER TABLE core.sessions ADD COLUMN channel VARCHAR DEFAULT 'unknown';
ALTER TABLE core.sessions ADD COLUMN utm_source VARCHAR DEFAULT 'unknown';
ALTER TABLE core.sessions ADD COLUMN utm_medium VARCHAR DEFAULT 'unknown';
ALTER TABLE core.sessions ADD COLUMN utm_campaign VARCHAR DEFAULT 'unknown';
ALTER TABLE core.sessions ADD COLUMN referrer_host VARCHAR DEFAULT 'unknown';
ALTER TABLE core.sessions ADD COLUMN landing_page VARCHAR DEFAULT 'unknown';
ALTER TABLE core.sessions ADD COLUMN country VARCHAR DEFAULT 'unknown';
