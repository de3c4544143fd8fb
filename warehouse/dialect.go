package warehouse

import (
	"context"
	"database/sql"
	"strings"
	"text/template"
)

// Dialect is everything engine-specific that the warehouse needs. The SQL in
// migrations/, models/, checks/ and queries/ is written in the common subset
// of DuckDB and PostgreSQL/Redshift; where engines differ, the SQL calls a
// template function that the dialect provides (see Funcs), or uses one of the
// few statement shapes that a dialect adapts (see Adapt and Merge), so that
// each engine is one implementation of this interface, not a second copy of
// the models.
type Dialect interface {
	// Name is a short name for logs and errors: "duckdb", "postgres",
	// "redshift".
	Name() string
	// Open opens the database that dsn names: a file path for DuckDB (""
	// is a private in-memory database), a connection string for
	// PostgreSQL.
	Open(dsn string) (*sql.DB, error)
	// QuoteIdent quotes one identifier (a schema, table or column name). It
	// is the only way the warehouse puts a name into SQL text.
	QuoteIdent(name string) string
	// Insert writes rows into schema.table, columns in the given order,
	// inside the transaction already open on conn. Values are bound, never
	// formatted into SQL: int64, string, bool, time.Time (UTC), money.Cents
	// and nil. Strings must not hold NUL bytes (Load replaces them, see
	// CleanText): PostgreSQL cannot store them. It returns the first error;
	// the caller rolls back.
	Insert(ctx context.Context, conn *sql.Conn, schema, table string, columns []string, rows [][]any) error
	// Canonical renders a value scanned from this engine in the form that
	// TableHashes hashes, for the types that are engine-specific (decimals).
	// ok is false for a type the dialect does not know.
	Canonical(v any) (s string, ok bool)
	// Funcs are the template functions that models may call, each returning
	// a SQL fragment built only from its arguments (SQL text from the model
	// files, never data). Every dialect provides the same names:
	//
	//	{{intdiv "a" "b"}}         integer division of two non-negative integer expressions, truncating
	//	{{year "d"}}, {{month "d"}} the year and month (1-12) of a DATE or TIMESTAMP, as BIGINT
	//	{{hour "t"}}               the hour (0-23) of a TIMESTAMP, as INTEGER
	//	{{iso_weekday "d"}}        the ISO day of the week of a DATE or TIMESTAMP, 1 = Monday .. 7 = Sunday, as INTEGER
	//	{{day_diff "a" "b"}}       a - b in days, for two DATEs, as BIGINT
	//	{{add_days "d" "n"}}       the DATE n days after DATE d
	//	{{add_months "d" "n"}}     the DATE n months after DATE d (d a first of month)
	//	{{week_start "t"}}         the Monday (ISO week) of t, as DATE
	//	{{month_start "t"}}        the first of the month of t, as DATE
	//	{{day_series "a" "b"}}     a FROM-clause item: every DATE from a to b inclusive, as column "day"
	//	{{fingerprint "a" "b"...}} one VARCHAR that is equal for two rows iff every expression is (NULLs equal)
	Funcs() template.FuncMap
	// Adapt turns one statement of a model, check or query file into the
	// statements this engine runs for it, in order: usually the statement
	// itself. PostgreSQL, which has no CREATE OR REPLACE TABLE, gets a DROP
	// TABLE IF EXISTS before a CREATE TABLE.
	Adapt(stmt string) []string
	// Merge runs one MERGE statement of a model on conn, inside the open
	// transaction, and counts the rows it inserted, updated and deleted.
	// The statement is written as DuckDB runs it (MERGE INTO target AS t
	// USING source AS s ON ... [WHEN NOT MATCHED BY SOURCE THEN DELETE]
	// RETURNING merge_action); a dialect whose engine lacks a clause
	// (PostgreSQL 15: BY SOURCE and RETURNING) runs an equivalent.
	Merge(ctx context.Context, conn *sql.Conn, stmt string) (MergeStats, error)
}

// qualified returns schema.table with both parts quoted by d.
func qualified(d Dialect, schema, table string) string {
	return d.QuoteIdent(schema) + "." + d.QuoteIdent(table)
}

// commonFuncs are the template functions whose SQL is the same on every
// engine; dialects add theirs on top, or replace one (iso_weekday: isodow
// is DuckDB's and PostgreSQL's, Redshift knows only dow).
func commonFuncs() template.FuncMap {
	return template.FuncMap{
		"week_start":  func(t string) string { return "CAST(date_trunc('week', " + t + ") AS DATE)" },
		"month_start": func(t string) string { return "CAST(date_trunc('month', " + t + ") AS DATE)" },
		"add_days":    func(d, n string) string { return "CAST((" + d + ") + CAST((" + n + ") AS INTEGER) AS DATE)" },
		"day_diff": func(a, b string) string {
			return "CAST((CAST((" + a + ") AS DATE) - CAST((" + b + ") AS DATE)) AS BIGINT)"
		},
		"year":        func(d string) string { return "CAST(extract(year FROM " + d + ") AS BIGINT)" },
		"month":       func(d string) string { return "CAST(extract(month FROM " + d + ") AS BIGINT)" },
		"hour":        func(t string) string { return "CAST(extract(hour FROM " + t + ") AS INTEGER)" },
		"iso_weekday": func(d string) string { return "CAST(extract(isodow FROM " + d + ") AS INTEGER)" },
		"fingerprint": fingerprint,
	}
}

// fingerprint renders exprs as one VARCHAR without ambiguity: each value as
// its length, ':' and its text ('-' for NULL), joined by '|'.
func fingerprint(exprs ...string) string {
	parts := make([]string, len(exprs))
	for i, e := range exprs {
		v := "CAST((" + e + ") AS VARCHAR)"
		parts[i] = "COALESCE(CAST(length(" + v + ") AS VARCHAR) || ':' || " + v + ", '-')"
	}
	return strings.Join(parts, " || '|' || ")
}
