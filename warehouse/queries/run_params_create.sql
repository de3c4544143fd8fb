-- The parameters of one Transform run, for the models (see run_params.go).
CREATE TEMP TABLE run_params (
    as_of TIMESTAMP   -- exclusive end of the observed range (docs/MARTS.md §0)
);
