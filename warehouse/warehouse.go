// Package warehouse loads the lake into a SQL warehouse and builds the
// analytics tables from it: RAW -> the lake's STAGING (typed, cleaned
// Parquet per RAW object, committed by a manifest) -> the warehouse's
// staging tables (recorded in a ledger) -> CORE (MERGE on business keys) ->
// MARTS -> the lake's CURATED (the marts as Parquet).
//
// The SQL lives in embedded files: migrations/NNN_name.sql (schema, applied
// once each, recorded in meta.schema_migrations), models/*.sql (the CORE
// merges and MARTS, run by Transform in a fixed dependency order) and
// queries/*.sql (small reads). Engine differences go through a Dialect:
// DuckDB (embedded, the default), PostgreSQL and Redshift.
//
// Every step is idempotent: Load skips objects already in the ledger, and
// Transform recomputes CORE from all of STAGING, so running either twice, or
// loading the same objects in another order or in other batches, leaves every
// CORE and MARTS table with the same TableHashes.
package warehouse

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
	"time"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/tz"
	"github.com/shoplake/shoplake/lake"
)

//go:embed migrations/*.sql models/*.sql queries/*.sql checks/*.sql
var sqlFiles embed.FS

// Source is what the warehouse reads RAW from; lake.Store satisfies it.
type Source interface {
	// List returns the objects under prefix, sorted by key.
	List(ctx context.Context, prefix string) ([]lake.ObjectInfo, error)
	// Get returns the body at key, already checked against its checksum
	// (lake.ErrChecksum otherwise).
	Get(ctx context.Context, key string) ([]byte, error)
}

// Options configure a Warehouse.
type Options struct {
	// EmailHashKey is the HMAC-SHA256 key for users.email_hash. Load refuses
	// to load users without it (ErrNoEmailHashKey).
	EmailHashKey []byte
	// FutureTolerance is how far an event's event_time may be ahead of its
	// ingestion_time before Load quarantines it (a client clock ahead).
	// Zero means DefaultFutureTolerance.
	FutureTolerance time.Duration
	// MaxEventAge is how far an event's event_time may be behind both its
	// ingestion_time and the newest event of its RAW batch before Load
	// quarantines it (a client clock far behind, such as 1970, which would
	// date its whole session to that day). The second bound keeps a replay
	// of the past, a batch that is old as a whole. It
	// must exceed the longest lateness the sources produce: later events
	// are quarantined, not kept as late data. Zero means DefaultMaxEventAge.
	MaxEventAge time.Duration
	// TimeZone is the business time zone: the calendar of every date and
	// period of the marts (docs/MARTS.md §0). Nil is UTC. A warehouse keeps
	// the zone its marts were built in (meta.business_time_zone): Transform
	// in another zone is refused, except a full refresh, which rebuilds
	// every mart in the new zone and records it.
	TimeZone *tz.Zone
	// Clock dates the end of each Transform attempt
	// (meta.transform_runs.finished_at). Nil records no time: core code
	// never reads the wall clock; the CLI passes clock.Real, the simulator
	// and tests a simulated clock.
	Clock clock.Clock
	// ReadOnly opens the database for reading only, for a reader such as
	// shoplake check: no migration runs (an unmigrated database reads as
	// one with no runs) and nothing can be written (Load, Transform and the
	// ingestion ledger fail). DuckDB opens the file with
	// access_mode=read_only: several processes may read it at once, but
	// not while one has it open for writing (ErrBusy); a missing file is an
	// error wrapping os.ErrNotExist, and nothing is created. PostgreSQL
	// sessions are read-only transactions.
	ReadOnly bool
	// DuckDBMemoryLimit is DuckDB's memory_limit (DuckDB.MemoryLimit);
	// "" is DefaultDuckDBMemoryLimit.
	DuckDBMemoryLimit string
}

// DefaultFutureTolerance is the FutureTolerance when Options leaves it
// zero.
const DefaultFutureTolerance = time.Hour

// DefaultMaxEventAge is the MaxEventAge when Options leaves it zero: a
// week, beyond the simulator's longest late delay (3 days) and the
// allowed lateness (1 day).
const DefaultMaxEventAge = 7 * 24 * time.Hour

// Warehouse is a migrated warehouse database. Its methods may be called from
// several goroutines, but Load and Transform are meant to run one at a time:
// two concurrent Loads of the same object fail on the ledger's primary key
// rather than load it twice.
type Warehouse struct {
	db      *sql.DB
	dialect Dialect
	opts    Options
	models  []model
	checks  map[string]string // check name -> rendered SQL
	// schema is what a read-only open found: readers cannot migrate.
	schema schemaState
	// codec writes and reads the lake's Parquet, opened on first use.
	codecMu sync.Mutex
	codec   *parquetCodec
}

// Open opens (creating it and its directory if needed) the DuckDB warehouse at path, "" for an
// in-memory one, and applies the migrations it has not applied yet.
// Re-opening a database applies nothing twice. It returns an error wrapping
// ErrMigration if the database was migrated by other code.
//
// With opts.ReadOnly it creates and migrates nothing (see Options.ReadOnly):
// it returns an error wrapping os.ErrNotExist when there is no file at
// path, and ErrBusy when another process has the file open for writing.
func Open(ctx context.Context, path string, opts Options) (*Warehouse, error) {
	if opts.ReadOnly {
		if path == "" {
			return nil, errors.New("open warehouse read-only: an in-memory warehouse cannot be read-only")
		}
		if _, err := os.Stat(path); err != nil {
			return nil, fmt.Errorf("open warehouse read-only: %w", err)
		}
		return open(ctx, DuckDB{ReadOnly: true, MemoryLimit: opts.duckDBMemoryLimit()}, path, opts)
	}
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create the warehouse's directory %s: %w", dir, err)
		}
	}
	return open(ctx, DuckDB{MemoryLimit: opts.duckDBMemoryLimit()}, path, opts)
}

func (o Options) duckDBMemoryLimit() string {
	if o.DuckDBMemoryLimit == "" {
		return DefaultDuckDBMemoryLimit
	}
	return o.DuckDBMemoryLimit
}

func open(ctx context.Context, d Dialect, path string, opts Options) (*Warehouse, error) {
	models, err := loadModels(d, opts.TimeZone)
	if err != nil {
		return nil, err
	}
	checks, err := loadChecks(d, opts.TimeZone)
	if err != nil {
		return nil, err
	}
	db, err := d.Open(path)
	if err != nil {
		return nil, err
	}
	w := &Warehouse{db: db, dialect: d, opts: opts, models: models, checks: checks}
	if opts.ReadOnly {
		if w.schema, err = w.readSchema(ctx); err != nil {
			_ = db.Close()
			return nil, err
		}
		return w, nil
	}
	if err := w.migrate(ctx); err != nil {
		_ = db.Close()
		return nil, err
	}
	return w, nil
}

// Close closes the database (and the Parquet codec, if opened).
func (w *Warehouse) Close() error {
	err := w.db.Close()
	if cerr := w.closeCodec(); err == nil {
		err = cerr
	}
	return err
}

// releaseLoadMemory gives back, when Load is done, what it held for the
// transform that usually follows: the Parquet codec (its own DuckDB, up to
// its limit; the next use opens it again) and the Go heap's free memory
// (the objects' bodies and rows are garbage that the heap would keep
// through the transform, where DuckDB needs the memory and Go allocates
// too little to collect it).
func (w *Warehouse) releaseLoadMemory() error {
	err := w.closeCodec()
	debug.FreeOSMemory()
	if err != nil {
		return fmt.Errorf("load: close the Parquet codec: %w", err)
	}
	return nil
}

// closeCodec closes the Parquet codec if it is open; the next use opens it
// again.
func (w *Warehouse) closeCodec() error {
	w.codecMu.Lock()
	defer w.codecMu.Unlock()
	if w.codec == nil {
		return nil
	}
	err := w.codec.Close()
	w.codec = nil
	return err
}

// DB returns the underlying database, for ad-hoc reads. Writing through it
// bypasses the ledger and the merges.
func (w *Warehouse) DB() *sql.DB { return w.db }

// readSQL returns the embedded file name.
func readSQL(name string) (string, error) {
	b, err := sqlFiles.ReadFile(name)
	if err != nil {
		return "", fmt.Errorf("read embedded %s: %w", name, err)
	}
	return string(b), nil
}

// inTx runs fn inside one transaction on conn: it commits if fn returns nil
// and rolls back otherwise.
func inTx(ctx context.Context, conn *sql.Conn, fn func() error) (err error) {
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if err != nil {
			// A background context: the rollback must run even when ctx is
			// what failed.
			if _, rbErr := conn.ExecContext(context.Background(), "ROLLBACK"); rbErr != nil {
				err = fmt.Errorf("%w (rollback: %v)", err, rbErr)
			}
		}
	}()
	if err := fn(); err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, "COMMIT"); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}
