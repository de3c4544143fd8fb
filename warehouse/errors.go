package warehouse

import "errors"

var (
	// ErrInvalidObject is wrapped by Load's error when a RAW object cannot be
	// parsed (bad gzip, bad JSON, a record that breaks its contract). The
	// error names the key; the object is not recorded in the ledger, so a
	// later Load tries it again.
	ErrInvalidObject = errors.New("invalid raw object")
	// ErrInvalidKey is wrapped when a listed key does not follow the RAW
	// layout (raw/fakestore/<entity>/dt=<date>/<sha256>.json[.gz],
	// raw/events/dt=<date>/hr=<HH>/<name>.ndjson[.gz]).
	ErrInvalidKey = errors.New("invalid raw key")
	// ErrNoEmailHashKey is returned by Load when it meets a users object and
	// Options.EmailHashKey is empty: emails are only ever stored hashed.
	ErrNoEmailHashKey = errors.New("no email hash key")
	// ErrMigration is wrapped when the migrations recorded in the database do
	// not match the embedded ones (a version applied under another name, or a
	// version this code does not know).
	ErrMigration = errors.New("schema migration mismatch")
	// ErrCollation is wrapped by OpenPostgres when the database does not
	// collate bytewise (LC_COLLATE 'C'): the models' ordering would differ
	// from DuckDB's.
	ErrCollation = errors.New("database collation is not C")
	// ErrNULByte is wrapped by Dialect.Insert when a string holds a NUL
	// byte, which PostgreSQL cannot store. Load never sends one: CleanText
	// replaces them.
	ErrNULByte = errors.New("string holds a NUL byte")
	// ErrCheckFailed is wrapped by Transform when a blocking data-quality
	// check fails: nothing was promoted (CORE and MARTS are as before), the
	// results are in meta.check_results, and the error names each failing
	// check and why.
	ErrCheckFailed = errors.New("blocking data-quality check failed")
)
