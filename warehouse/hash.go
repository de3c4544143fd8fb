package warehouse

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// TableHash fingerprints the contents of one table.
type TableHash struct {
	Table  string `json:"table"` // "core.users"
	Rows   int64  `json:"rows"`
	SHA256 string `json:"sha256"` // hex
}

// TableHashes returns a hash of every CORE and MARTS table, sorted by name.
// The hash covers the column names and types and every row in a total order
// (ORDER BY every column), each value rendered canonically, so it depends on
// the contents only, not on insertion order or physical layout. Two runs that
// should be equivalent compare equal here.
func (w *Warehouse) TableHashes(ctx context.Context) ([]TableHash, error) {
	q, err := readSQL("queries/hash_tables.sql")
	if err != nil {
		return nil, err
	}
	type column struct{ name, typ string }
	type table struct {
		schema, name string
		cols         []column
	}
	rows, err := w.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("table hashes: %w", err)
	}
	var tables []*table
	for rows.Next() {
		var schema, name, col, typ string
		if err := rows.Scan(&schema, &name, &col, &typ); err != nil {
			rows.Close()
			return nil, fmt.Errorf("table hashes: %w", err)
		}
		if n := len(tables); n == 0 || tables[n-1].schema != schema || tables[n-1].name != name {
			tables = append(tables, &table{schema: schema, name: name})
		}
		t := tables[len(tables)-1]
		t.cols = append(t.cols, column{col, typ})
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("table hashes: %w", err)
	}

	out := make([]TableHash, 0, len(tables))
	for _, t := range tables {
		h := sha256.New()
		names := make([]string, len(t.cols))
		order := make([]string, len(t.cols))
		for i, c := range t.cols {
			names[i] = w.dialect.QuoteIdent(c.name)
			order[i] = strconv.Itoa(i + 1)
			writeField(h, c.name+" "+canonicalType(c.typ))
		}
		h.Write([]byte{'\n'})
		n, err := w.hashTable(ctx, qualified(w.dialect, t.schema, t.name), names, order, h)
		if err != nil {
			return nil, fmt.Errorf("table hashes: %s.%s: %w", t.schema, t.name, err)
		}
		out = append(out, TableHash{Table: t.schema + "." + t.name, Rows: n, SHA256: hex.EncodeToString(h.Sum(nil))})
	}
	return out, nil
}

type byteWriter interface{ Write([]byte) (int, error) }

// canonicalType names a column's type as every engine's
// information_schema would if they agreed: DuckDB's DECIMAL(18,2) and
// PostgreSQL's numeric are both "decimal", VARCHAR and character varying
// "text", and so on. With the values rendered canonically, the same table
// has the same hash on every engine.
func canonicalType(t string) string {
	u := strings.ToUpper(strings.TrimSpace(t))
	switch {
	case strings.HasPrefix(u, "DECIMAL"), strings.HasPrefix(u, "NUMERIC"):
		return "decimal"
	case u == "VARCHAR", u == "TEXT", strings.HasPrefix(u, "CHARACTER VARYING"), strings.HasPrefix(u, "VARCHAR("):
		return "text"
	case u == "BIGINT", u == "INT8":
		return "int64"
	case u == "INTEGER", u == "INT4", u == "INT":
		return "int32"
	case u == "SMALLINT", u == "INT2":
		return "int16"
	case u == "BOOLEAN", u == "BOOL":
		return "bool"
	case u == "DATE":
		return "date"
	case strings.Contains(u, "WITH TIME ZONE"), u == "TIMESTAMPTZ":
		return "timestamptz"
	case strings.HasPrefix(u, "TIMESTAMP"):
		return "timestamp"
	case u == "DOUBLE", u == "DOUBLE PRECISION", u == "FLOAT8", u == "FLOAT", u == "REAL", u == "FLOAT4":
		return "float"
	}
	return strings.ToLower(u)
}

// writeField writes s length-prefixed, so that no two rows render alike.
func writeField(h byteWriter, s string) {
	h.Write([]byte(strconv.Itoa(len(s)) + ":" + s + ";"))
}

// hashPageRows is how many rows TableHashes reads in one query at most
// (roughly: a page is a range of the first column's values). DuckDB's Go
// driver holds a query's whole result before the first row is read: the
// ten million rows of core.events, sorted, took 3.8 GB.
var hashPageRows = 100_000

// hashTable feeds the rows of table into h in the order of all its
// columns and returns the row count. A table of more than hashPageRows
// rows is read in pages: ranges of its first column, between values that
// fall about every hashPageRows rows in that order, then the rows where it
// is NULL (sorted last by both engines). Rows with one first value are in
// one page, so the pages in order give the rows in order.
func (w *Warehouse) hashTable(ctx context.Context, table string, names, order []string, h byteWriter) (int64, error) {
	sel := "SELECT " + strings.Join(names, ", ") + " FROM " + table
	by := " ORDER BY " + strings.Join(order, ", ")
	var total int64
	if err := w.db.QueryRowContext(ctx, "SELECT count(*) FROM "+table).Scan(&total); err != nil {
		return 0, err
	}
	if total <= int64(hashPageRows) {
		return w.hashRows(ctx, sel+by, len(names), h)
	}
	first := names[0]
	bounds, err := w.pageBounds(ctx, table, first)
	if err != nil {
		return 0, err
	}
	var n int64
	for i, lo := range bounds {
		q, args := sel+" WHERE "+first+" >= $1", []any{lo}
		if i+1 < len(bounds) {
			q, args = q+" AND "+first+" < $2", append(args, bounds[i+1])
		}
		m, err := w.hashRows(ctx, q+by, len(names), h, args...)
		if err != nil {
			return 0, err
		}
		n += m
	}
	m, err := w.hashRows(ctx, sel+" WHERE "+first+" IS NULL"+by, len(names), h)
	if err != nil {
		return 0, err
	}
	if n += m; n != total {
		return 0, fmt.Errorf("read %d rows in pages of %s, which holds %d: did it change while read?", n, table, total)
	}
	return n, nil
}

// pageBounds returns the distinct values of column col of table that begin
// the pages of hashTable, ascending; the first is its smallest value.
func (w *Warehouse) pageBounds(ctx context.Context, table, col string) ([]any, error) {
	q := "SELECT DISTINCT v FROM (SELECT " + col + " AS v, row_number() OVER (ORDER BY " + col + ") AS rn FROM " + table +
		" WHERE " + col + " IS NOT NULL) AS ranked WHERE (rn - 1) % " + strconv.Itoa(hashPageRows) + " = 0 ORDER BY v"
	rows, err := w.db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []any
	for rows.Next() {
		var v any
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// hashRows feeds every row of q (with args) into h and returns the row count.
func (w *Warehouse) hashRows(ctx context.Context, q string, ncols int, h byteWriter, args ...any) (int64, error) {
	rows, err := w.db.QueryContext(ctx, q, args...)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	vals := make([]any, ncols)
	ptrs := make([]any, ncols)
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var n int64
	for rows.Next() {
		if err := rows.Scan(ptrs...); err != nil {
			return 0, err
		}
		for _, v := range vals {
			if v == nil {
				h.Write([]byte("N;"))
				continue
			}
			s, err := w.canonical(v)
			if err != nil {
				return 0, err
			}
			writeField(h, s)
		}
		h.Write([]byte{'\n'})
		n++
	}
	return n, rows.Err()
}

// TableRows returns every row of schema.table ("marts.daily_kpis") in the
// order of all its columns, each value rendered as TableHashes renders it
// ("NULL" for NULL): values, not engine-specific type names, so that two
// engines' tables compare row by row.
func (w *Warehouse) TableRows(ctx context.Context, table string) ([][]string, error) {
	schema, name, ok := strings.Cut(table, ".")
	if !ok {
		return nil, fmt.Errorf("table rows: %q: want schema.table", table)
	}
	q, err := readSQL("queries/table_columns.sql")
	if err != nil {
		return nil, err
	}
	rows, err := w.db.QueryContext(ctx, q, schema, name)
	if err != nil {
		return nil, fmt.Errorf("table rows %s: %w", table, err)
	}
	var cols, order []string
	for rows.Next() {
		var c string
		if err := rows.Scan(&c); err != nil {
			rows.Close()
			return nil, fmt.Errorf("table rows %s: %w", table, err)
		}
		cols = append(cols, w.dialect.QuoteIdent(c))
		order = append(order, strconv.Itoa(len(cols)))
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("table rows %s: %w", table, err)
	}
	if len(cols) == 0 {
		return nil, fmt.Errorf("table rows %s: no such table", table)
	}
	sel := "SELECT " + strings.Join(cols, ", ") + " FROM " + qualified(w.dialect, schema, name) + " ORDER BY " + strings.Join(order, ", ")
	data, err := w.db.QueryContext(ctx, sel)
	if err != nil {
		return nil, fmt.Errorf("table rows %s: %w", table, err)
	}
	defer data.Close()
	vals := make([]any, len(cols))
	ptrs := make([]any, len(cols))
	for i := range vals {
		ptrs[i] = &vals[i]
	}
	var out [][]string
	for data.Next() {
		if err := data.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("table rows %s: %w", table, err)
		}
		row := make([]string, len(vals))
		for i, v := range vals {
			if v == nil {
				row[i] = "NULL"
				continue
			}
			if row[i], err = w.canonical(v); err != nil {
				return nil, fmt.Errorf("table rows %s: %w", table, err)
			}
		}
		out = append(out, row)
	}
	return out, data.Err()
}

// canonical renders one non-NULL value: integers in decimal, booleans as
// true/false, times as UTC RFC 3339 with microseconds, decimals with exactly
// their scale (by the dialect), strings as themselves.
func (w *Warehouse) canonical(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return x, nil
	case []byte:
		return string(x), nil
	case bool:
		return strconv.FormatBool(x), nil
	case int64:
		return strconv.FormatInt(x, 10), nil
	case int32:
		return strconv.FormatInt(int64(x), 10), nil
	case int16:
		return strconv.FormatInt(int64(x), 10), nil
	case int8:
		return strconv.FormatInt(int64(x), 10), nil
	case int:
		return strconv.Itoa(x), nil
	case time.Time:
		return x.UTC().Format("2006-01-02T15:04:05.000000Z"), nil
	}
	if s, ok := w.dialect.Canonical(v); ok {
		return s, nil
	}
	return "", fmt.Errorf("no canonical form for %T", v)
}
