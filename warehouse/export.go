package warehouse

import (
	"bytes"
	"cmp"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/lake"
)

// ExportOptions are the parameters of ExportMarts.
type ExportOptions struct {
	// Attempts bounds how many export numbers ExportMarts tries when other
	// writers take the one it chose (lake.PublishExport);
	// lake.DefaultExportAttempts when 0.
	Attempts int
}

// ExportStats say what ExportMarts did.
type ExportStats struct {
	// Export is the number of the newest export after the call: the one
	// written, or the newest one when the marts did not change; Key its
	// manifest.
	Export int    `json:"export_number"`
	Key    string `json:"key"`
	// Written is false when the newest export already held these marts
	// as of the same instant (lake.Export.AddsNothingTo): no manifest was
	// written, and the newest one keeps the checks of the run that built
	// them.
	Written bool `json:"written"`
	// RunID is the promoted Transform run whose marts were exported.
	RunID int64 `json:"run_id"`
	// Marts counts the marts exported; FilesWritten the mart files
	// written by this call (the others were in the lake already, with
	// the same bytes), BytesWritten their size.
	Marts        int   `json:"marts"`
	FilesWritten int   `json:"files_written"`
	BytesWritten int64 `json:"bytes_written"`
	// Skipped names the objects under curated/_exports/ passed over as
	// corrupt or invalid, each with why ("key: reason").
	Skipped []string `json:"skipped_manifests,omitempty"`
}

// ExportMarts exports every table of the marts schema, as the last
// promoted Transform run left it, to the lake's CURATED zone: one Parquet
// file per mart at lake.CuratedKey (the SHA-256 of its bytes), then a
// manifest (lake.Export) naming the files, the run's as_of and its check
// results, published at the next export number (lake.PublishExport).
//
// Each file holds the whole mart, its columns in table order with the
// warehouse's types (the codec's schema: DATE, BIGINT, INTEGER, VARCHAR,
// BOOLEAN, DECIMAL(18,2) money, DECIMAL(9,4) rates), its rows sorted by
// every column in table order (for every mart, its key first; NULLs first,
// strings bytewise). The bytes depend on the rows only: the same marts give
// the same files on DuckDB and PostgreSQL, and exporting again writes no
// file; when the newest export holds the same marts as of the same
// instant, no manifest either (a transform that changed nothing adds no
// export; the newest keeps the checks of the run that built its marts).
// Nothing in CURATED is overwritten: a mart's key that holds other bytes is
// an error wrapping lake.ErrConflict, and no manifest is written.
//
// It reads the warehouse only, so it may run on a read-only warehouse. It
// returns an error wrapping ErrNoRun when no run was promoted, and an error
// when a Transform promoted a run while it read (export again). Blocked
// runs are never exported: their marts did not move, and the last promoted
// run's are exported.
func (w *Warehouse) ExportMarts(ctx context.Context, lk Lake, opts ExportOptions) (ExportStats, error) {
	var st ExportStats
	if err := w.schema.readable(); err != nil {
		return st, fmt.Errorf("export marts: %w", err)
	}
	if w.schema.unmigrated {
		return st, fmt.Errorf("export marts: %w: the warehouse was never migrated", ErrNoRun)
	}
	runID, asOf, err := w.exportRun(ctx)
	if err != nil {
		return st, err
	}
	st.RunID = runID
	checks, err := w.checkResults(ctx, runID)
	if err != nil {
		return st, fmt.Errorf("export marts: %w", err)
	}
	marts, err := w.martColumns(ctx)
	if err != nil {
		return st, err
	}
	codec, err := w.parquet(ctx)
	if err != nil {
		return st, fmt.Errorf("export marts: %w", err)
	}
	e := lake.Export{Format: lake.ExportFormat}
	if !asOf.IsZero() {
		e.AsOf = asOf.UTC().Format(time.RFC3339Nano)
	}
	for _, c := range checks {
		e.Checks = append(e.Checks, lake.ExportCheck{Check: c.Name, Severity: string(c.Severity), Status: c.Status, Failures: c.Failures})
	}
	for _, m := range marts {
		f, written, err := w.exportMart(ctx, lk, codec, m)
		if err != nil {
			return st, err
		}
		e.Marts = append(e.Marts, f)
		st.Marts++
		if written {
			st.FilesWritten++
			st.BytesWritten += f.Bytes
		}
	}
	// The marts read must be the run's: a Transform promoted since would
	// have moved them under the reads.
	if again, _, err := w.exportRun(ctx); err != nil {
		return st, err
	} else if again != runID {
		return st, fmt.Errorf("export marts: run %d was promoted while the marts of run %d were read: export again", again, runID)
	}
	pub, err := lake.PublishExport(ctx, lk, e, opts.Attempts)
	for _, b := range pub.Skipped {
		st.Skipped = append(st.Skipped, b.Info.Key+": "+b.Reason)
	}
	if err != nil {
		return st, fmt.Errorf("export marts of run %d: %w", runID, err)
	}
	st.Export, st.Key, st.Written = pub.Export.Number, pub.Export.Info.Key, pub.Written
	return st, nil
}

// exportRun returns the last promoted run and its as_of: the one it was
// given, or the one it derived from CORE (zero when CORE is empty).
func (w *Warehouse) exportRun(ctx context.Context) (int64, time.Time, error) {
	q, err := readSQL("queries/export_run.sql")
	if err != nil {
		return 0, time.Time{}, err
	}
	var runID int64
	var asOf sql.NullTime
	switch err := w.db.QueryRowContext(ctx, q).Scan(&runID, &asOf); {
	case errors.Is(err, sql.ErrNoRows):
		return 0, time.Time{}, fmt.Errorf("export marts: %w: no transform run was promoted yet, so there are no marts to export", ErrNoRun)
	case err != nil:
		return 0, time.Time{}, fmt.Errorf("export marts: read the last promoted run: %w", err)
	}
	if asOf.Valid {
		return runID, asOf.Time.UTC(), nil
	}
	if q, err = readSQL("queries/export_horizon.sql"); err != nil {
		return 0, time.Time{}, err
	}
	if err := w.db.QueryRowContext(ctx, q).Scan(&asOf); err != nil {
		return 0, time.Time{}, fmt.Errorf("export marts: read the as_of of run %d: %w", runID, err)
	}
	if !asOf.Valid {
		return runID, time.Time{}, nil
	}
	return runID, asOf.Time.UTC(), nil
}

// martTable is one table of the marts schema and its columns in table
// order.
type martTable struct {
	name string
	cols []martColumn
}

// martColumn is one column of a mart: its name, its canonical type
// (canonicalType) and, for a decimal, its precision and scale.
type martColumn struct {
	name             string
	kind             string
	precision, scale int
}

// martColumns lists the tables of the marts schema, sorted by name.
func (w *Warehouse) martColumns(ctx context.Context) ([]martTable, error) {
	q, err := readSQL("queries/export_columns.sql")
	if err != nil {
		return nil, err
	}
	rows, err := w.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("export marts: list the marts: %w", err)
	}
	defer rows.Close()
	byName := map[string]*martTable{}
	var out []*martTable
	for rows.Next() {
		var table, col, typ string
		var precision, scale sql.NullInt64
		if err := rows.Scan(&table, &col, &typ, &precision, &scale); err != nil {
			return nil, fmt.Errorf("export marts: list the marts: %w", err)
		}
		t := byName[table]
		if t == nil {
			t = &martTable{name: table}
			byName[table] = t
			out = append(out, t)
		}
		c := martColumn{name: col, kind: canonicalType(typ)}
		if c.kind == "decimal" {
			if !precision.Valid || !scale.Valid {
				return nil, fmt.Errorf("export marts: column marts.%s.%s is a decimal of no declared precision and scale (%s)", table, col, typ)
			}
			c.precision, c.scale = int(precision.Int64), int(scale.Int64)
		}
		t.cols = append(t.cols, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("export marts: list the marts: %w", err)
	}
	if len(out) == 0 {
		return nil, errors.New("export marts: the warehouse has no marts table")
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	tables := make([]martTable, len(out))
	for i, t := range out {
		tables[i] = *t
	}
	return tables, nil
}

// exportMart reads mart m whole, encodes it as Parquet and writes it at its
// content's key (lake.PutDerived: written false when the same bytes are
// there already).
func (w *Warehouse) exportMart(ctx context.Context, lk Lake, codec *parquetCodec, m martTable) (lake.ExportedMart, bool, error) {
	rows, err := w.readMartRows(ctx, m)
	if err != nil {
		return lake.ExportedMart{}, false, fmt.Errorf("export marts.%s: %w", m.name, err)
	}
	cols := make([]string, len(m.cols))
	for i, c := range m.cols {
		cols[i] = c.name
	}
	body, err := codec.encode(ctx, parquetTable{schema: "marts", table: m.name, columns: cols, file: cols}, rows)
	if err != nil {
		return lake.ExportedMart{}, false, fmt.Errorf("export marts.%s: %w", m.name, err)
	}
	sum := sha256Hex(body)
	key, err := lake.CuratedKey(m.name, sum)
	if err != nil {
		return lake.ExportedMart{}, false, fmt.Errorf("export marts.%s: %w", m.name, err)
	}
	written, err := lake.PutDerived(ctx, lk, key, body)
	if err != nil {
		return lake.ExportedMart{}, false, fmt.Errorf("export marts.%s: %w", m.name, err)
	}
	return lake.ExportedMart{Mart: m.name, Key: key, SHA256: sum, Rows: int64(len(rows)), Bytes: int64(len(body))}, written, nil
}

// readMartRows reads every row of m as the codec takes them (exportValue),
// sorted by every column in table order (compareRows): the same rows in
// the same order whatever the engine and its collation.
func (w *Warehouse) readMartRows(ctx context.Context, m martTable) ([][]any, error) {
	names := make([]string, len(m.cols))
	for i, c := range m.cols {
		names[i] = w.dialect.QuoteIdent(c.name)
	}
	rs, err := w.db.QueryContext(ctx, "SELECT "+strings.Join(names, ", ")+" FROM "+qualified(w.dialect, "marts", m.name))
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out [][]any
	for rs.Next() {
		row := make([]any, len(m.cols))
		ptrs := make([]any, len(m.cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return nil, err
		}
		for i, c := range m.cols {
			v, err := exportValue(c, row[i])
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", c.name, err)
			}
			row[i] = v
		}
		out = append(out, row)
	}
	if err := rs.Err(); err != nil {
		return nil, err
	}
	sort.SliceStable(out, func(i, j int) bool { return compareRows(out[i], out[j]) < 0 })
	return out, nil
}

// exportValue converts a value scanned from either engine into what the
// codec's Insert takes for column c: int64 for integers, string, bool,
// time.Time in UTC for dates and timestamps, money.Cents for DECIMAL(18,2)
// and a duckdb.Decimal at the column's scale for other decimals (rates,
// DECIMAL(9,4)); nil for NULL. A type the export does not know is an
// error naming it.
func exportValue(c martColumn, v any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch c.kind {
	case "int64", "int32", "int16":
		switch x := v.(type) {
		case int64:
			return x, nil
		case int32:
			return int64(x), nil
		case int16:
			return int64(x), nil
		case int8:
			return int64(x), nil
		case int:
			return int64(x), nil
		}
	case "text":
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		}
	case "bool":
		if x, ok := v.(bool); ok {
			return x, nil
		}
	case "date", "timestamp", "timestamptz":
		if x, ok := v.(time.Time); ok {
			return x.UTC(), nil
		}
	case "decimal":
		u, err := unscaled(v, c.scale)
		if err != nil {
			return nil, err
		}
		if c.scale == 2 && c.precision <= 18 && u.IsInt64() {
			return money.Cents(u.Int64()), nil
		}
		return duckdb.Decimal{Width: uint8(c.precision), Scale: uint8(c.scale), Value: u}, nil
	default:
		return nil, fmt.Errorf("type %s cannot be exported", c.kind)
	}
	return nil, fmt.Errorf("a %s column scanned as %T", c.kind, v)
}

// unscaled returns a decimal scanned from either engine (duckdb.Decimal,
// pgtype.Numeric, or its text) as an integer of units of 10^-scale. A value
// with more significant decimals than scale is an error.
func unscaled(v any, scale int) (*big.Int, error) {
	var n *big.Int
	var exp int // v = n * 10^exp
	switch x := v.(type) {
	case duckdb.Decimal:
		if x.Value == nil {
			return nil, errors.New("a decimal with no value")
		}
		n, exp = new(big.Int).Set(x.Value), -int(x.Scale)
	case pgtype.Numeric:
		if !x.Valid || x.NaN || x.InfinityModifier != pgtype.Finite || x.Int == nil {
			return nil, fmt.Errorf("numeric %v is not a finite number", x)
		}
		n, exp = new(big.Int).Set(x.Int), int(x.Exp)
	case string:
		return parseUnscaled(x, scale)
	case []byte:
		return parseUnscaled(string(x), scale)
	default:
		return nil, fmt.Errorf("a decimal scanned as %T", v)
	}
	return rescale(n, exp, scale, v)
}

// parseUnscaled reads a decimal's text ("-12.3400", "5") as units of
// 10^-scale.
func parseUnscaled(s string, scale int) (*big.Int, error) {
	t := strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+")
	whole, frac, _ := strings.Cut(t, ".")
	digits := whole + frac
	if digits == "" || strings.Trim(digits, "0123456789") != "" {
		return nil, fmt.Errorf("%q is not a decimal number", s)
	}
	n, ok := new(big.Int).SetString(digits, 10)
	if !ok {
		return nil, fmt.Errorf("%q is not a decimal number", s)
	}
	if strings.HasPrefix(s, "-") {
		n.Neg(n)
	}
	return rescale(n, -len(frac), scale, s)
}

// rescale returns n * 10^exp in units of 10^-scale, refusing to drop a
// non-zero digit.
func rescale(n *big.Int, exp, scale int, v any) (*big.Int, error) {
	shift := exp + scale
	if shift >= 0 {
		return n.Mul(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(shift)), nil)), nil
	}
	q, r := new(big.Int).QuoRem(n, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(-shift)), nil), new(big.Int))
	if r.Sign() != 0 {
		return nil, fmt.Errorf("decimal %v has more than %d decimals", v, scale)
	}
	return q, nil
}

// compareRows orders two rows of exportValue values column by column:
// NULL first, then integers, amounts and decimals by value, strings
// bytewise, false before true, times in time order.
func compareRows(a, b []any) int {
	for i := range a {
		if c := compareValues(a[i], b[i]); c != 0 {
			return c
		}
	}
	return 0
}

func compareValues(a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	switch x := a.(type) {
	case int64:
		return cmp.Compare(x, b.(int64))
	case money.Cents:
		return cmp.Compare(x, b.(money.Cents))
	case duckdb.Decimal:
		return x.Value.Cmp(b.(duckdb.Decimal).Value)
	case string:
		return strings.Compare(x, b.(string))
	case bool:
		switch y := b.(bool); {
		case x == y:
			return 0
		case !x:
			return -1
		}
		return 1
	case time.Time:
		return x.Compare(b.(time.Time))
	}
	// exportValue returns no other type.
	return bytes.Compare(fmt.Append(nil, a), fmt.Append(nil, b))
}
