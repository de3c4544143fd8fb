-- $1: the business time zone this run builds the marts in.
UPDATE meta.business_time_zone SET name = $1;
