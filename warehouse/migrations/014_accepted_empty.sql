-- An empty users, products or carts snapshot after one with rows is
-- accepted deliberately (shoplake transform --accept-empty <entity>,
-- TransformOptions.AcceptEmpty): the entities accepted by a run, sorted and
-- joined by commas; NULL when none. The checks snapshots_not_empty and
-- carts_not_empty read it: an acceptance covers the snapshots loaded up to
-- the promoted run that recorded it (to_load_seq), in later runs too.
ALTER TABLE meta.transform_runs ADD COLUMN accepted_empty VARCHAR;
