package warehouse

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math/big"
	"regexp"
	"strings"
	"text/template"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/shoplake/shoplake/internal/money"
)

// Postgres is the PostgreSQL dialect (pgx v5): the same wire protocol as
// Redshift (see Redshift for where their SQL differs), MERGE since
// PostgreSQL 15. Inserts go through COPY on the connection of the open
// transaction. A STAGING file loads through a temporary table with the
// statements Redshift runs around its COPY from S3 (loadParquet,
// newStagingLoad), filled here by COPY FROM STDIN.
//
// What it adapts, so that the models stay one copy written for DuckDB:
//   - CREATE OR REPLACE [TEMP] TABLE x AS ...: DROP TABLE IF EXISTS x, then
//     CREATE [TEMP] TABLE x AS ... (Adapt);
//   - MERGE: PostgreSQL 15 has neither WHEN NOT MATCHED BY SOURCE nor
//     RETURNING merge_action. Merge runs the MERGE without them, then
//     DELETE FROM target AS t WHERE NOT EXISTS (SELECT 1 FROM source AS s
//     WHERE <the ON condition>), and counts from the row counts;
//   - the template functions (Funcs) for integer division and intervals.
//
// The session time zone is UTC (timestamps are UTC without time zone), and
// the database must use the C collation (ErrCollation otherwise), so that
// strings compare bytewise as in DuckDB: the models order by keys and names.
type Postgres struct {
	// ReadOnly makes every session's transactions read-only
	// (default_transaction_read_only; Options.ReadOnly).
	ReadOnly bool
}

var _ Dialect = Postgres{}

// OpenPostgres opens the PostgreSQL database that dsn names (a pgx
// connection string: "postgres://user:pass@host:5432/db?sslmode=disable")
// and applies the migrations it has not applied yet, as Open does for
// DuckDB. It returns an error wrapping ErrCollation if the database does not
// sort strings bytewise.
//
// With opts.ReadOnly it migrates nothing and its sessions cannot write.
func OpenPostgres(ctx context.Context, dsn string, opts Options) (*Warehouse, error) {
	return open(ctx, Postgres{ReadOnly: opts.ReadOnly}, dsn, opts)
}

// Name returns "postgres".
func (Postgres) Name() string { return "postgres" }

// Open opens a pool on dsn with the session time zone set to UTC, and checks
// the database's collation.
func (p Postgres) Open(dsn string) (*sql.DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's error quotes the DSN, password included: say less.
		return nil, errors.New("open postgres: cannot parse the connection string")
	}
	cfg.RuntimeParams["timezone"] = "UTC"
	if p.ReadOnly {
		cfg.RuntimeParams["default_transaction_read_only"] = "on"
	}
	db := stdlib.OpenDB(*cfg)
	var collate string
	if err := db.QueryRow("SELECT datcollate FROM pg_database WHERE datname = current_database()").Scan(&collate); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open postgres %s/%s: %w", cfg.Host, cfg.Database, err)
	}
	if collate != "C" && collate != "POSIX" {
		_ = db.Close()
		return nil, fmt.Errorf("open postgres %s/%s: %w: the database collates %q; create it with LC_COLLATE 'C' (TEMPLATE template0)",
			cfg.Host, cfg.Database, ErrCollation, collate)
	}
	return db, nil
}

// QuoteIdent wraps name in double quotes, doubling any double quote inside.
func (Postgres) QuoteIdent(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}

// Insert copies rows into schema.table with COPY (binary), on the
// connection that holds the open transaction.
func (Postgres) Insert(ctx context.Context, conn *sql.Conn, schema, table string, columns []string, rows [][]any) error {
	if len(rows) == 0 {
		return nil
	}
	vals, err := pgValues(schema, table, columns, rows)
	if err != nil {
		return err
	}
	return copyRows(ctx, conn, pgx.Identifier{schema, table}, columns, vals)
}

// pgValues converts the warehouse's Go values (see Dialect.Insert) into
// what pgx binds: money.Cents as a NUMERIC with scale 2, times in UTC. It
// refuses a row of the wrong width and a string holding a NUL byte
// (ErrNULByte).
func pgValues(schema, table string, columns []string, rows [][]any) ([][]any, error) {
	vals := make([][]any, len(rows))
	for i, row := range rows {
		if len(row) != len(columns) {
			return nil, fmt.Errorf("insert into %s.%s: row %d has %d values, want %d", schema, table, i, len(row), len(columns))
		}
		out := make([]any, len(row))
		for j, v := range row {
			switch x := v.(type) {
			case money.Cents:
				out[j] = pgtype.Numeric{Int: big.NewInt(int64(x)), Exp: -2, Valid: true}
			case time.Time:
				out[j] = x.UTC()
			case string:
				if strings.IndexByte(x, 0) >= 0 {
					return nil, fmt.Errorf("insert into %s.%s: row %d column %s: %w", schema, table, i, columns[j], ErrNULByte)
				}
				out[j] = x
			default:
				out[j] = v
			}
		}
		vals[i] = out
	}
	return vals, nil
}

// copyRows copies vals (from pgValues) into the table ident with COPY FROM
// STDIN (binary), on the connection that holds the open transaction, and
// checks that every row was copied.
func copyRows(ctx context.Context, conn *sql.Conn, ident pgx.Identifier, columns []string, vals [][]any) error {
	name := strings.Join(ident, ".")
	return conn.Raw(func(dc any) error {
		sc, ok := dc.(*stdlib.Conn)
		if !ok {
			return fmt.Errorf("insert into %s: driver connection is %T", name, dc)
		}
		n, err := sc.Conn().CopyFrom(ctx, ident, columns, pgx.CopyFromRows(vals))
		if err != nil {
			return fmt.Errorf("insert into %s: %w", name, err)
		}
		if n != int64(len(vals)) {
			return fmt.Errorf("insert into %s: copied %d rows of %d", name, n, len(vals))
		}
		return nil
	})
}

// loadParquet loads one STAGING file through a temporary table with the
// file's columns (newStagingLoad, the statements Redshift runs around its
// COPY from S3): the temporary table is filled with COPY FROM STDIN from
// the rows the codec decodes, then appended to the staging table with the
// load's sequence.
func (p Postgres) loadParquet(ctx context.Context, conn *sql.Conn, codec *parquetCodec, t parquetTable, seq int64, f stagingFile) (int64, error) {
	rows, err := codec.decode(ctx, f.path, t.file)
	if err != nil {
		return 0, err
	}
	vals, err := pgValues(t.schema, t.table, t.file, rows)
	if err != nil {
		return 0, err
	}
	l := newStagingLoad(p, t, seq)
	n, err := l.run(ctx, conn, func() error {
		if len(vals) == 0 {
			return nil
		}
		return copyRows(ctx, conn, pgx.Identifier{l.temp}, t.file, vals)
	})
	if err == nil && n != int64(len(vals)) {
		err = fmt.Errorf("load %s into %s.%s: inserted %d rows of %d", f.key, t.schema, t.table, n, len(vals))
	}
	return n, err
}

// Canonical renders a NUMERIC (scanned as its text, "110.00", or as a
// pgtype.Numeric) with exactly its scale.
func (Postgres) Canonical(v any) (string, bool) {
	switch x := v.(type) {
	case pgtype.Numeric:
		if !x.Valid || x.NaN || x.InfinityModifier != pgtype.Finite {
			return "", false
		}
		if x.Exp >= 0 {
			return new(big.Int).Mul(x.Int, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(x.Exp)), nil)).String(), true
		}
		return formatDecimal(x.Int, int(-x.Exp)), true
	case float64:
		return "", false
	}
	return "", false
}

// Funcs provides the template functions of Dialect in PostgreSQL's SQL.
func (Postgres) Funcs() template.FuncMap {
	f := commonFuncs()
	f["intdiv"] = func(a, b string) string {
		return "CAST(div(CAST((" + a + ") AS NUMERIC), CAST((" + b + ") AS NUMERIC)) AS BIGINT)"
	}
	f["add_months"] = func(d, n string) string {
		return "CAST((" + d + ") + make_interval(months => CAST((" + n + ") AS INTEGER)) AS DATE)"
	}
	f["day_series"] = func(a, b string) string {
		return "(SELECT CAST(g.d AS DATE) AS day FROM generate_series(CAST((" + a + ") AS TIMESTAMP), CAST((" + b + ") AS TIMESTAMP), INTERVAL '1 day') AS g(d))"
	}
	return f
}

var (
	createOrReplace = regexp.MustCompile(`(?is)^CREATE\s+OR\s+REPLACE\s+((?:TEMP|TEMPORARY)\s+)?TABLE\s+("(?:[^"]|"")+"|[A-Za-z_][A-Za-z0-9_.]*)`)
	mergeHead       = regexp.MustCompile(`(?is)^MERGE\s+INTO\s+(\S+)\s+(?:AS\s+)?([A-Za-z_]\w*)\s+USING\s+(\S+)\s+(?:AS\s+)?([A-Za-z_]\w*)\s+ON\s+(.*?)\s+WHEN\s`)
	bySourceDelete  = regexp.MustCompile(`(?is)\s+WHEN\s+NOT\s+MATCHED\s+BY\s+SOURCE\s+THEN\s+DELETE\b`)
	bySource        = regexp.MustCompile(`(?is)\bNOT\s+MATCHED\s+BY\s+SOURCE\b`)
	byTarget        = regexp.MustCompile(`(?is)\bNOT\s+MATCHED\s+BY\s+TARGET\b`)
	returningAction = regexp.MustCompile(`(?is)\s+RETURNING\s+merge_action\s*$`)
)

// Adapt rewrites CREATE OR REPLACE [TEMP] TABLE x into DROP TABLE IF EXISTS
// x and CREATE [TEMP] TABLE x; other statements run as they are.
func (Postgres) Adapt(stmt string) []string {
	s := stripComments(stmt)
	m := createOrReplace.FindStringSubmatchIndex(s)
	if m == nil {
		return []string{stmt}
	}
	name := s[m[4]:m[5]]
	temp := ""
	if m[2] >= 0 {
		temp = "TEMP "
	}
	return []string{"DROP TABLE IF EXISTS " + name, "CREATE " + temp + "TABLE " + name + s[m[1]:]}
}

// Merge runs a MERGE written for DuckDB on PostgreSQL 15 (see the type's
// doc) and derives the counts from the target's row count before and after:
// inserted = after - before + deleted, updated = merged - inserted.
func (p Postgres) Merge(ctx context.Context, conn *sql.Conn, stmt string) (MergeStats, error) {
	var st MergeStats
	s := stripComments(stmt)
	m := mergeHead.FindStringSubmatch(s)
	if m == nil {
		return st, fmt.Errorf("postgres: cannot adapt this MERGE (want MERGE INTO target AS t USING source AS s ON ... WHEN ...)")
	}
	target, tAlias, source, sAlias, on := m[1], m[2], m[3], m[4], m[5]
	deletes := bySourceDelete.MatchString(s)
	s = bySourceDelete.ReplaceAllString(s, "")
	if bySource.MatchString(s) {
		return st, fmt.Errorf("postgres: MERGE into %s: only WHEN NOT MATCHED BY SOURCE THEN DELETE (no condition) can be adapted", target)
	}
	s = byTarget.ReplaceAllString(s, "NOT MATCHED")
	s = returningAction.ReplaceAllString(s, "")

	del := ""
	if deletes {
		del = "DELETE FROM " + target + " AS " + tAlias + " WHERE NOT EXISTS (SELECT 1 FROM " + source + " AS " + sAlias + " WHERE " + on + ")"
	}
	return mergeCounted(ctx, conn, target, s, del)
}

// mergeCounted runs merge (a MERGE without RETURNING) and then, if not "",
// del (the DELETE that stands for WHEN NOT MATCHED BY SOURCE), and derives
// the counts from the rows they affect and target's row count before and
// after: deleted = del's rows, inserted = after - before + deleted,
// updated = the MERGE's rows - inserted.
func mergeCounted(ctx context.Context, conn *sql.Conn, target, merge, del string) (MergeStats, error) {
	var st MergeStats
	count := func() (int64, error) {
		var n int64
		err := conn.QueryRowContext(ctx, "SELECT count(*) FROM "+target).Scan(&n)
		return n, err
	}
	before, err := count()
	if err != nil {
		return st, err
	}
	res, err := conn.ExecContext(ctx, merge)
	if err != nil {
		return st, err
	}
	merged, err := res.RowsAffected()
	if err != nil {
		return st, err
	}
	if del != "" {
		res, err := conn.ExecContext(ctx, del)
		if err != nil {
			return st, err
		}
		if st.Deleted, err = res.RowsAffected(); err != nil {
			return st, err
		}
	}
	after, err := count()
	if err != nil {
		return st, err
	}
	st.Inserted = after - before + st.Deleted
	st.Updated = merged - st.Inserted
	return st, nil
}
