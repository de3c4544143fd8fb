// Package warehousetest gives tests a real PostgreSQL database for the
// warehouse's PostgreSQL dialect, as lake/laketest gives them a real S3.
package warehousetest

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver "pgx"
)

// DSNEnv names the environment variable that holds the DSN of a PostgreSQL
// 15 database whose role may create databases (make integration, or
// .ci/postgres, prints one). Not SHOPLAKE_-prefixed: the configuration
// rejects unknown SHOPLAKE_ variables.
const DSNEnv = "TEST_SHOPLAKE_POSTGRES_DSN"

var dbSeq atomic.Int64

// PostgresDSN returns the DSN of a new, empty database (C collation, UTF-8)
// created for tb on the server of $TEST_SHOPLAKE_POSTGRES_DSN, and drops it
// when tb ends. Without the variable the test is skipped, with a message
// that says how to run it, except under CI (CI=true), where a missing
// database fails the test: CI must run every test.
func PostgresDSN(tb testing.TB) string {
	tb.Helper()
	dsn := os.Getenv(DSNEnv)
	if dsn == "" {
		msg := DSNEnv + " is not set: PostgreSQL tests need a server (run `make integration`, or export the DSN that .ci/postgres prints)"
		if ci := os.Getenv("CI"); ci != "" && ci != "false" && ci != "0" {
			tb.Fatal(msg + "; under CI they must run")
		}
		tb.Skip(msg)
	}
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		tb.Fatalf("%s: cannot parse the DSN", DSNEnv)
	}
	name := fmt.Sprintf("shoplake_t_%d_%d", os.Getpid(), dbSeq.Add(1))
	admin, err := sql.Open("pgx", dsn)
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+
		" TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE 'C' LC_CTYPE 'C'"); err != nil {
		admin.Close()
		tb.Fatalf("create test database on %s (%s): %v", cfg.Host, DSNEnv, err)
	}
	tb.Cleanup(func() {
		defer admin.Close()
		if err := dropDatabase(context.Background(), admin, name); err != nil {
			tb.Errorf("drop test database %s: %v", name, err)
		}
	})
	cfg.Database = name
	return replaceDatabase(dsn, cfg.Database)
}

// dropDatabase drops the test database name. WITH (FORCE) ends the
// connections a test left open; but it also tries to end an autovacuum
// worker that happens to be in the database, which a role without
// pg_signal_backend may not do (SQLSTATE 42501). A plain DROP then does
// what is needed: PostgreSQL itself asks autovacuum workers to stop and
// waits for them.
func dropDatabase(ctx context.Context, admin *sql.DB, name string) error {
	ident := pgx.Identifier{name}.Sanitize()
	forceErr := exec(ctx, admin, "DROP DATABASE IF EXISTS "+ident+" WITH (FORCE)")
	if forceErr == nil {
		return nil
	}
	var err error
	for attempt := 1; attempt <= 5; attempt++ {
		if err = exec(ctx, admin, "DROP DATABASE IF EXISTS "+ident); err == nil {
			return nil
		}
		time.Sleep(time.Duration(attempt) * 200 * time.Millisecond)
	}
	return fmt.Errorf("with force: %v; without: %w", forceErr, err)
}

func exec(ctx context.Context, db *sql.DB, query string) error {
	_, err := db.ExecContext(ctx, query)
	return err
}

// replaceDatabase returns dsn with its database set to name. It handles the
// URL form (postgres://.../db?params) and the keyword form (dbname=db).
func replaceDatabase(dsn, name string) string {
	if strings.HasPrefix(dsn, "postgres://") || strings.HasPrefix(dsn, "postgresql://") {
		rest := dsn
		query := ""
		if i := strings.IndexByte(rest, '?'); i >= 0 {
			rest, query = rest[:i], rest[i:]
		}
		scheme := rest[:strings.Index(rest, "://")+3]
		hostPath := rest[len(scheme):]
		if i := strings.IndexByte(hostPath, '/'); i >= 0 {
			hostPath = hostPath[:i]
		}
		return scheme + hostPath + "/" + name + query
	}
	var parts []string
	for _, f := range strings.Fields(dsn) {
		if !strings.HasPrefix(f, "dbname=") {
			parts = append(parts, f)
		}
	}
	return strings.Join(append(parts, "dbname="+name), " ")
}
