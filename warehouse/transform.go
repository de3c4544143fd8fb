package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"text/template"
	"time"
)

// modelKind says how Transform runs a model and what it counts.
type modelKind int

const (
	// helperModel builds a temporary table that later models read.
	helperModel modelKind = iota
	// mergeModel builds a temporary source table, then MERGEs it into a CORE
	// table with RETURNING merge_action.
	mergeModel
	// rebuildModel deletes and re-inserts every row of a MARTS table.
	rebuildModel
)

// model is one models/<name>.sql file, rendered for the dialect.
type model struct {
	name   string
	kind   modelKind
	schema string // target table (merge and rebuild models)
	table  string
	temp   string // the temporary table the model creates, dropped after the run
	sql    string
}

// modelOrder is the fixed dependency order in which Transform runs models.
var modelOrder = []model{
	{name: "core_products", kind: mergeModel, schema: "core", table: "products", temp: "src_products"},
	{name: "core_users", kind: mergeModel, schema: "core", table: "users", temp: "src_users"},
	{name: "chosen_carts", kind: helperModel, temp: "chosen_carts"},
	{name: "order_lines", kind: helperModel, temp: "order_lines"},
	{name: "core_orders", kind: mergeModel, schema: "core", table: "orders", temp: "src_orders"},
	{name: "core_order_items", kind: mergeModel, schema: "core", table: "order_items", temp: "src_order_items"},
	{name: "core_events", kind: mergeModel, schema: "core", table: "events", temp: "src_events"},
	{name: "marts_daily_kpis", kind: rebuildModel, schema: "marts", table: "daily_kpis"},
	{name: "marts_session_funnel", kind: rebuildModel, schema: "marts", table: "session_funnel"},
}

// loadModels reads and renders every model in modelOrder with d's template
// functions.
func loadModels(d Dialect) ([]model, error) {
	out := make([]model, 0, len(modelOrder))
	for _, m := range modelOrder {
		text, err := readSQL("models/" + m.name + ".sql")
		if err != nil {
			return nil, err
		}
		tmpl, err := template.New(m.name).Option("missingkey=error").Funcs(d.Funcs()).Parse(text)
		if err != nil {
			return nil, fmt.Errorf("model %s: %w", m.name, err)
		}
		var b strings.Builder
		if err := tmpl.Execute(&b, nil); err != nil {
			return nil, fmt.Errorf("model %s: %w", m.name, err)
		}
		m.sql = b.String()
		out = append(out, m)
	}
	return out, nil
}

// MergeStats counts what one MERGE did to a CORE table. Unchanged rows are
// source rows that matched a target row with equal values: they are not
// rewritten and not counted as updated.
type MergeStats struct {
	Inserted, Updated, Unchanged, Deleted int64
}

// TransformOptions are the parameters of one Transform run.
type TransformOptions struct {
	// AsOf is the exclusive end of the observed range: the instant up to
	// which the sources are complete (the end of the last ingested day).
	// Marts whose definitions need a horizon (docs/MARTS.md, "as_of") use
	// it; it must come from the run, never from max(event_time).
	AsOf time.Time
}

// TransformStats counts what one Transform did.
type TransformStats struct {
	Core  map[string]MergeStats // "core.users" -> counts
	Marts map[string]int64      // "marts.daily_kpis" -> rows after the rebuild
}

// Transform rebuilds CORE from all of STAGING and MARTS from CORE, in one
// transaction: either every table moves or none does. Each CORE table is
// MERGEd on its business key from a deduplicated source (models/core_*.sql
// say which copy wins); a row is updated only if a value differs. Transform
// is idempotent: a second run with no new staging rows reports every CORE row
// unchanged and leaves every table with the same TableHashes.
func (w *Warehouse) Transform(ctx context.Context, opts TransformOptions) (TransformStats, error) {
	stats := TransformStats{Core: map[string]MergeStats{}, Marts: map[string]int64{}}
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return stats, fmt.Errorf("transform: %w", err)
	}
	defer conn.Close()
	err = inTx(ctx, conn, func() error {
		for _, m := range w.models {
			if err := w.runModel(ctx, conn, m, &stats); err != nil {
				return fmt.Errorf("model %s: %w", m.name, err)
			}
		}
		for _, m := range w.models {
			if m.temp == "" {
				continue
			}
			if _, err := conn.ExecContext(ctx, "DROP TABLE IF EXISTS "+w.dialect.QuoteIdent(m.temp)); err != nil {
				return fmt.Errorf("drop %s: %w", m.temp, err)
			}
		}
		return nil
	})
	if err != nil {
		return TransformStats{}, fmt.Errorf("transform: %w", err)
	}
	return stats, nil
}

// runModel runs one model and adds its counts to stats.
func (w *Warehouse) runModel(ctx context.Context, conn *sql.Conn, m model, stats *TransformStats) error {
	switch m.kind {
	case helperModel:
		_, err := conn.ExecContext(ctx, m.sql)
		return err
	case rebuildModel:
		if _, err := conn.ExecContext(ctx, m.sql); err != nil {
			return err
		}
		n, err := countRows(ctx, conn, qualified(w.dialect, m.schema, m.table))
		if err != nil {
			return err
		}
		stats.Marts[m.schema+"."+m.table] = n
		return nil
	}
	var s MergeStats
	rows, err := conn.QueryContext(ctx, m.sql)
	if err != nil {
		return err
	}
	for rows.Next() {
		var action string
		if err := rows.Scan(&action); err != nil {
			rows.Close()
			return err
		}
		switch action {
		case "INSERT":
			s.Inserted++
		case "UPDATE":
			s.Updated++
		case "DELETE":
			s.Deleted++
		default:
			rows.Close()
			return fmt.Errorf("unexpected merge_action %q", action)
		}
	}
	if err := rows.Close(); err != nil {
		return err
	}
	if err := rows.Err(); err != nil {
		return err
	}
	src, err := countRows(ctx, conn, w.dialect.QuoteIdent(m.temp))
	if err != nil {
		return err
	}
	s.Unchanged = src - s.Inserted - s.Updated
	stats.Core[m.schema+"."+m.table] = s
	return nil
}

// countRows returns count(*) of a table whose name is already quoted.
func countRows(ctx context.Context, conn *sql.Conn, quotedTable string) (int64, error) {
	var n int64
	if err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+quotedTable).Scan(&n); err != nil {
		return 0, fmt.Errorf("count %s: %w", quotedTable, err)
	}
	return n, nil
}
