package warehouse

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math/big"
	"net/url"
	"regexp"
	"strings"
	"text/template"
	"time"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/shoplake/shoplake/internal/money"
)

// DuckDB is the embedded engine, the default dialect. Inserts go through the
// DuckDB Appender, which joins the connection's open transaction.
type DuckDB struct {
	// ReadOnly opens the file with access_mode=read_only (Options.ReadOnly).
	ReadOnly bool
	// MemoryLimit is DuckDB's memory_limit ("256MB"; "" leaves DuckDB's
	// default, 80% of the machine's memory): past it DuckDB spills to
	// temporary files (beside the database file, or in TempDir) or fails
	// the statement, instead of growing the process.
	MemoryLimit string
	// TempDir is where an in-memory database spills ("" : it cannot).
	TempDir string
}

// DefaultDuckDBMemoryLimit is the memory_limit of the warehouse's DuckDB
// when the configuration sets none: with the Go side's working set it
// keeps a day of any size within half a GiB.
const DefaultDuckDBMemoryLimit = "384MB"

// memoryLimitRE is what MemoryLimit accepts: a number and a unit, as
// DuckDB writes them.
var memoryLimitRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+)?(B|KB|MB|GB|TB|KiB|MiB|GiB|TiB)$`)

// explainOutOfMemory adds to a DuckDB out-of-memory error what the user
// can do about it, in the configuration's words (DuckDB's own advice names
// its SQL settings).
func (w *Warehouse) explainOutOfMemory(err error) error {
	d, ok := w.dialect.(DuckDB)
	if !ok || err == nil || !strings.Contains(err.Error(), "Out of Memory Error") {
		return err
	}
	return fmt.Errorf("%w\nDuckDB reached the warehouse's memory limit (%s): raise warehouse.duckdb_memory_limit (SHOPLAKE_WAREHOUSE_DUCKDB_MEMORY_LIMIT), for instance to 1GB, and run again", err, d.MemoryLimit)
}

// CheckMemoryLimit says what is wrong with a DuckDB memory limit.
func CheckMemoryLimit(v string) error {
	if v != "" && !memoryLimitRE.MatchString(v) {
		return fmt.Errorf("DuckDB memory limit %q: want a number and a unit, such as 256MB or 1GiB", v)
	}
	return nil
}

var _ Dialect = DuckDB{}

// Name returns "duckdb".
func (DuckDB) Name() string { return "duckdb" }

// Open opens the DuckDB database file at path, or a private in-memory
// database when path is "". Every connection of the returned pool sees the
// same database. Read-only, it returns an error wrapping ErrBusy when
// another process holds the file's write lock; an error wrapping
// ErrNotDuckDB when the file is not a DuckDB database.
func (d DuckDB) Open(path string) (*sql.DB, error) {
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("open duckdb %q: path must not contain '?'", path)
	}
	if err := CheckMemoryLimit(d.MemoryLimit); err != nil {
		return nil, err
	}
	params := url.Values{}
	if d.ReadOnly {
		params.Set("access_mode", "read_only")
	}
	if d.MemoryLimit != "" {
		params.Set("memory_limit", d.MemoryLimit)
	}
	if d.TempDir != "" {
		params.Set("temp_directory", d.TempDir)
	}
	dsn := path
	if len(params) > 0 {
		dsn += "?" + params.Encode()
	}
	c, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		if isLockConflict(err) {
			return nil, fmt.Errorf("open duckdb %q: %w (%v)", path, ErrBusy, err)
		}
		if strings.Contains(err.Error(), "not a valid DuckDB database file") {
			return nil, fmt.Errorf("open duckdb %q: %w", path, ErrNotDuckDB)
		}
		return nil, fmt.Errorf("open duckdb %q: %w", path, err)
	}
	return sql.OpenDB(c), nil
}

// isLockConflict reports whether err is DuckDB refusing a file because
// another process holds its lock ("Could not set lock on file ...:
// Conflicting lock is held in ... (PID n)").
func isLockConflict(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "Could not set lock on file") || strings.Contains(msg, "Conflicting lock")
}

// QuoteIdent wraps name in double quotes, doubling any double quote inside.
func (DuckDB) QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// Insert appends rows with the DuckDB Appender.
func (DuckDB) Insert(ctx context.Context, conn *sql.Conn, schema, table string, columns []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	return conn.Raw(func(dc any) error {
		dconn, ok := dc.(driver.Conn)
		if !ok {
			return fmt.Errorf("insert into %s.%s: driver connection is %T", schema, table, dc)
		}
		a, err := duckdb.NewAppenderWithColumns(dconn, "", schema, table, columns)
		if err != nil {
			return fmt.Errorf("insert into %s.%s: %w", schema, table, err)
		}
		vals := make([]driver.Value, len(columns))
		for i, row := range rows {
			if len(row) != len(columns) {
				_ = a.Close()
				return fmt.Errorf("insert into %s.%s: row %d has %d values, want %d", schema, table, i, len(row), len(columns))
			}
			for j, v := range row {
				vals[j] = duckValue(v)
			}
			if err := a.AppendRow(vals...); err != nil {
				_ = a.Close()
				return fmt.Errorf("insert into %s.%s: row %d: %w", schema, table, i, err)
			}
		}
		if err := a.CloseWithCancel(ctx); err != nil {
			return fmt.Errorf("insert into %s.%s: %w", schema, table, err)
		}
		return nil
	})
}

// duckValue converts the warehouse's Go values into what the Appender takes.
func duckValue(v any) driver.Value {
	switch x := v.(type) {
	case money.Cents:
		return duckdb.Decimal{Width: 18, Scale: 2, Value: big.NewInt(int64(x))}
	case time.Time:
		return x.UTC()
	default:
		return v
	}
}

// Canonical renders a duckdb.Decimal with exactly its scale: "110.00".
func (DuckDB) Canonical(v any) (string, bool) {
	d, ok := v.(duckdb.Decimal)
	if !ok {
		return "", false
	}
	return formatDecimal(d.Value, int(d.Scale)), true
}

// formatDecimal renders unscaled/10^scale with exactly scale decimals.
func formatDecimal(unscaled *big.Int, scale int) string {
	sign := ""
	digits := new(big.Int).Abs(unscaled).String()
	if unscaled.Sign() < 0 {
		sign = "-"
	}
	if scale <= 0 {
		return sign + digits
	}
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	return sign + digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
}

// Funcs provides the template functions of Dialect in DuckDB's SQL.
func (DuckDB) Funcs() template.FuncMap {
	f := commonFuncs()
	f["intdiv"] = func(a, b string) string { return "((" + a + ") // (" + b + "))" }
	f["add_months"] = func(d, n string) string {
		return "CAST((" + d + ") + to_months(CAST((" + n + ") AS INTEGER)) AS DATE)"
	}
	f["day_series"] = func(a, b string) string {
		return "(SELECT CAST(g.d AS DATE) AS day FROM generate_series(CAST((" + a + ") AS TIMESTAMP), CAST((" + b + ") AS TIMESTAMP), INTERVAL '1 day') AS g(d))"
	}
	return f
}

// Adapt returns stmt unchanged: the models are written in DuckDB's SQL.
func (DuckDB) Adapt(stmt string) []string { return []string{stmt} }

// Merge runs stmt, which ends with RETURNING merge_action, and counts what
// it did. A MERGE without WHEN NOT MATCHED BY SOURCE runs without its
// RETURNING clause and is counted from row counts, as PostgreSQL's are
// (mergeCounted): returning one row per action materializes them all, which for a day of
// ten million events is more memory than the rest of the run. One that
// deletes by source (the snapshots' tables, small) counts the rows
// RETURNING gives.
func (DuckDB) Merge(ctx context.Context, conn *sql.Conn, stmt string) (MergeStats, error) {
	var s MergeStats
	if !bySource.MatchString(stripComments(stmt)) {
		m := mergeHead.FindStringSubmatch(stripComments(stmt))
		if m == nil {
			return s, fmt.Errorf("duckdb: cannot count this MERGE (want MERGE INTO target AS t USING source AS s ON ... WHEN ...)")
		}
		return mergeCounted(ctx, conn, m[1], returningAction.ReplaceAllString(stripComments(stmt), ""), "")
	}
	rows, err := conn.QueryContext(ctx, stmt)
	if err != nil {
		return s, err
	}
	defer rows.Close()
	for rows.Next() {
		var action string
		if err := rows.Scan(&action); err != nil {
			return s, err
		}
		switch action {
		case "INSERT":
			s.Inserted++
		case "UPDATE":
			s.Updated++
		case "DELETE":
			s.Deleted++
		default:
			return s, fmt.Errorf("unexpected merge_action %q", action)
		}
	}
	return s, rows.Err()
}
