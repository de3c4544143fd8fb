-- The business time zone the marts were built in (Options.TimeZone,
-- docs/MARTS.md §0): one row. Every warehouse built before reported in UTC.
-- Transform refuses another zone until a full refresh rebuilds every mart
-- in it (timezone.go).
CREATE TABLE meta.business_time_zone (
    name VARCHAR NOT NULL -- IANA name, or UTC
);

INSERT INTO meta.business_time_zone (name) VALUES ('UTC');
