package warehouse

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"
)

// migration is one embedded migrations/NNN_name.sql file.
type migration struct {
	version int
	name    string // the file name without the number and ".sql": "core"
	sql     string
}

// migrations returns the embedded migrations sorted by version. File names
// must be NNN_name.sql with unique numbers.
func migrations() ([]migration, error) {
	names, err := fs.Glob(sqlFiles, "migrations/*.sql")
	if err != nil {
		return nil, err
	}
	var ms []migration
	seen := map[int]string{}
	for _, p := range names {
		base := strings.TrimSuffix(path.Base(p), ".sql")
		num, name, ok := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if !ok || err != nil || v <= 0 || name == "" {
			return nil, fmt.Errorf("migration file %s: want NNN_name.sql", p)
		}
		if other, dup := seen[v]; dup {
			return nil, fmt.Errorf("migration files %s and %s share version %d", other, p, v)
		}
		seen[v] = p
		body, err := readSQL(p)
		if err != nil {
			return nil, err
		}
		ms = append(ms, migration{version: v, name: name, sql: body})
	}
	sort.Slice(ms, func(i, j int) bool { return ms[i].version < ms[j].version })
	return ms, nil
}

// migrate applies, in version order, each embedded migration that
// meta.schema_migrations does not record, each in its own transaction together
// with its record. It is idempotent. It returns an error wrapping ErrMigration
// when the database records a version under another name, or a version that
// is not embedded (a database written by newer code).
func (w *Warehouse) migrate(ctx context.Context) error {
	ms, err := migrations()
	if err != nil {
		return err
	}
	conn, err := w.db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()

	boot, err := readSQL("queries/bootstrap.sql")
	if err != nil {
		return err
	}
	if _, err := conn.ExecContext(ctx, boot); err != nil {
		return fmt.Errorf("migrate: bootstrap: %w", err)
	}
	applied, err := w.appliedMigrations(ctx)
	if err != nil {
		return err
	}
	known := map[int]string{}
	for _, m := range ms {
		known[m.version] = m.name
	}
	for v, name := range applied {
		if k, ok := known[v]; !ok || k != name {
			return fmt.Errorf("%w: database has version %d %q, code has %q", ErrMigration, v, name, k)
		}
	}
	for _, m := range ms {
		if _, ok := applied[m.version]; ok {
			continue
		}
		err := inTx(ctx, conn, func() error {
			if _, err := conn.ExecContext(ctx, m.sql); err != nil {
				return err
			}
			return w.dialect.Insert(ctx, conn, "meta", "schema_migrations",
				[]string{"version", "name"}, [][]any{{int64(m.version), m.name}})
		})
		if err != nil {
			return fmt.Errorf("migrate: apply %03d_%s: %w", m.version, m.name, err)
		}
	}
	return nil
}

// appliedMigrations returns the versions recorded in meta.schema_migrations.
func (w *Warehouse) appliedMigrations(ctx context.Context) (map[int]string, error) {
	q, err := readSQL("queries/applied_migrations.sql")
	if err != nil {
		return nil, err
	}
	rows, err := w.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read schema_migrations: %w", err)
	}
	defer rows.Close()
	out := map[int]string{}
	for rows.Next() {
		var v int
		var name string
		if err := rows.Scan(&v, &name); err != nil {
			return nil, fmt.Errorf("read schema_migrations: %w", err)
		}
		out[v] = name
	}
	return out, rows.Err()
}

// schemaState is what a read-only open found in the database, which it
// cannot migrate.
type schemaState struct {
	// unmigrated: no migration was ever applied (a new or foreign file):
	// it holds no run.
	unmigrated bool
	// missing names the embedded migrations the database lacks (it was
	// written by older code), "011_run_attempts"; empty when up to date.
	missing []string
}

// readSchema reads, without changing anything, which migrations the
// database has. It returns an error wrapping ErrMigration, as migrate does,
// when the database records a migration this code does not embed.
func (w *Warehouse) readSchema(ctx context.Context) (schemaState, error) {
	q, err := readSQL("queries/schema_migrations_exists.sql")
	if err != nil {
		return schemaState{}, err
	}
	var n int64
	if err := w.db.QueryRowContext(ctx, q).Scan(&n); err != nil {
		return schemaState{}, fmt.Errorf("read schema: %w", err)
	}
	if n == 0 {
		return schemaState{unmigrated: true}, nil
	}
	ms, err := migrations()
	if err != nil {
		return schemaState{}, err
	}
	applied, err := w.appliedMigrations(ctx)
	if err != nil {
		return schemaState{}, err
	}
	known := map[int]string{}
	var st schemaState
	for _, m := range ms {
		known[m.version] = m.name
		if _, ok := applied[m.version]; !ok {
			st.missing = append(st.missing, fmt.Sprintf("%03d_%s", m.version, m.name))
		}
	}
	for v, name := range applied {
		if k, ok := known[v]; !ok || k != name {
			return schemaState{}, fmt.Errorf("%w: database has version %d %q, code has %q", ErrMigration, v, name, k)
		}
	}
	if len(applied) == 0 {
		st.unmigrated = true
	}
	return st, nil
}

// readable returns nil when the database has every migration, and otherwise
// an error wrapping ErrMigration that says how to bring it up to date: only
// a read-only open can leave it behind.
func (s schemaState) readable() error {
	if len(s.missing) == 0 {
		return nil
	}
	return fmt.Errorf("%w: the warehouse was written by an older shoplake and lacks migrations %s; "+
		"run shoplake transform once (it migrates) and read it again", ErrMigration, strings.Join(s.missing, ", "))
}
