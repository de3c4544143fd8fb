-- $1 as_of (NULL: derive it from CORE, models/marts_horizon.sql).
INSERT INTO run_params (as_of) VALUES (CAST($1 AS TIMESTAMP));
