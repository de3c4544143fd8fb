package warehouse

import "errors"

var (
	// ErrInvalidObject is wrapped in the detail of a RAW object that Load
	// set aside in meta.quarantined_objects because its body cannot be
	// parsed (bad gzip, a FakeStore body that is not a JSON array). Load
	// does not return it: it goes on with the other objects.
	ErrInvalidObject = errors.New("invalid raw object")
	// ErrPrunedUnusable is returned by Load for a RAW object shoplake prune
	// deleted (a prune record names it) whose staging cannot be used (its
	// manifest or a file gone, corrupt, or staged under other rules): its
	// records exist nowhere else in the lake, so Load stops rather than
	// lose them. Restore the staging (or the RAW object) from a copy.
	ErrPrunedUnusable = errors.New("pruned RAW object's staging unusable")
	// ErrInvalidKey is wrapped in the detail of a listed object whose key
	// does not follow the RAW layout (raw/fakestore/<entity>/dt=<date>/<sha256>.json[.gz],
	// raw/events/dt=<date>/hr=<HH>/<name>.ndjson[.gz]); Load sets such an
	// object aside in meta.quarantined_objects.
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
	// ErrNoRun is wrapped by CheckResults when the run asked for was never
	// recorded; the error says which runs exist. ExportMarts wraps it when
	// no run was promoted yet: there are no marts to export.
	ErrNoRun = errors.New("no such transform run")
	// ErrInvalidOption is wrapped by Transform when an option is
	// impossible (a negative lateness, an as-of before everything loaded):
	// nothing ran and nothing was recorded; the error says what a valid
	// value is.
	ErrInvalidOption = errors.New("invalid transform option")
	// ErrTimeZoneChanged is returned by Transform when Options.TimeZone is
	// not the business time zone the marts were built in and the run is
	// not a full refresh: nothing ran; the error says how to rebuild.
	ErrTimeZoneChanged = errors.New("business time zone changed")
	// ErrBusy is wrapped by Open with Options.ReadOnly when another process
	// has the DuckDB file open for writing (a transform, an ingest): DuckDB
	// lets one process write a file, or several read it, not both.
	ErrBusy = errors.New("the warehouse is being written by another process")
	// ErrNotDuckDB is wrapped by Open when the file at its path exists but
	// is not a DuckDB database (empty, cut short, or another file): the
	// driver's own error chain is left out.
	ErrNotDuckDB = errors.New("the file is not a DuckDB database")
)
