package warehouse

import (
	"context"
	"database/sql"
	"fmt"
)

// runParamsTable is the temporary table that holds the parameters of one
// Transform run for the models to read.
const runParamsTable = "run_params"

// setRunParams creates, on conn and inside Transform's transaction, the
// temporary table run_params with one row: as_of, the run's horizon
// (TransformOptions.AsOf, bound as a parameter; NULL when zero). Models read
// it from SQL; models/marts_horizon.sql replaces a NULL by the UTC midnight
// after the latest order or event in CORE (the oracle's rule for a world
// with no configured end, docs/MARTS.md §0). Transform drops the table at
// the end of the run with the other temporary tables (marts_horizon
// declares it as its temp).
func (w *Warehouse) setRunParams(ctx context.Context, conn *sql.Conn, opts TransformOptions) error {
	create, err := readSQL("queries/run_params_create.sql")
	if err != nil {
		return err
	}
	insert, err := readSQL("queries/run_params_insert.sql")
	if err != nil {
		return err
	}
	var asOf any
	if !opts.AsOf.IsZero() {
		asOf = opts.AsOf.UTC()
	}
	if _, err := conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+w.dialect.QuoteIdent(runParamsTable)); err != nil {
		return fmt.Errorf("run params: %w", err)
	}
	if _, err := conn.ExecContext(ctx, create); err != nil {
		return fmt.Errorf("run params: %w", err)
	}
	if _, err := conn.ExecContext(ctx, insert, asOf); err != nil {
		return fmt.Errorf("run params: %w", err)
	}
	return nil
}
