package warehouse

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"math/big"
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
}

var _ Dialect = DuckDB{}

// Name returns "duckdb".
func (DuckDB) Name() string { return "duckdb" }

// Open opens the DuckDB database file at path, or a private in-memory
// database when path is "". Every connection of the returned pool sees the
// same database. Read-only, it returns an error wrapping ErrBusy when
// another process holds the file's write lock.
func (d DuckDB) Open(path string) (*sql.DB, error) {
	if strings.ContainsRune(path, '?') {
		return nil, fmt.Errorf("open duckdb %q: path must not contain '?'", path)
	}
	dsn := path
	if d.ReadOnly {
		dsn += "?access_mode=read_only"
	}
	c, err := duckdb.NewConnector(dsn, nil)
	if err != nil {
		if isLockConflict(err) {
			return nil, fmt.Errorf("open duckdb %q: %w (%v)", path, ErrBusy, err)
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

// Merge runs stmt, which ends with RETURNING merge_action, and counts the
// actions it returns.
func (DuckDB) Merge(ctx context.Context, conn *sql.Conn, stmt string) (MergeStats, error) {
	var s MergeStats
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
