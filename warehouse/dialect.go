package warehouse

import (
	"context"
	"database/sql"
	"text/template"
)

// Dialect is everything engine-specific that the warehouse needs. The SQL in
// migrations/, models/ and queries/ is written in the common subset of DuckDB
// and PostgreSQL/Redshift; where engines differ, the SQL calls a template
// function that the dialect provides (see Funcs), so that adding Redshift is
// one more implementation of this interface, not a second copy of the models.
type Dialect interface {
	// Name is a short name for logs and errors: "duckdb".
	Name() string
	// Open opens the database at path ("" means a private in-memory
	// database, where the engine supports one).
	Open(path string) (*sql.DB, error)
	// QuoteIdent quotes one identifier (a schema, table or column name). It
	// is the only way the warehouse puts a name into SQL text.
	QuoteIdent(name string) string
	// Insert writes rows into schema.table, columns in the given order,
	// inside the transaction already open on conn. Values are bound, never
	// formatted into SQL: int64, string, bool, time.Time (UTC), money.Cents
	// and nil. It returns the first error; the caller rolls back.
	Insert(ctx context.Context, conn *sql.Conn, schema, table string, columns []string, rows [][]any) error
	// Canonical renders a value scanned from this engine in the form that
	// TableHashes hashes, for the types that are engine-specific (decimals).
	// ok is false for a type the dialect does not know.
	Canonical(v any) (s string, ok bool)
	// Funcs are the template functions that models may call, each returning
	// a SQL fragment built only from its arguments (SQL text from the model
	// files, never data):
	//
	//	{{intdiv "a" "b"}}  integer division of two integer expressions, truncating.
	Funcs() template.FuncMap
}

// qualified returns schema.table with both parts quoted by d.
func qualified(d Dialect, schema, table string) string {
	return d.QuoteIdent(schema) + "." + d.QuoteIdent(table)
}
