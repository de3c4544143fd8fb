package warehouse

import (
	"context"
	"database/sql"

	"github.com/jackc/pgx/v5"
)

// redshiftOnPostgres is the Redshift dialect with the two things
// PostgreSQL cannot run swapped out, so that tests run the rest of it on
// PostgreSQL: COPY from S3 (the temporary table of a STAGING load is filled
// with COPY FROM STDIN from the decoded rows; the load's other statements,
// and its refusal of a file the lake does not hold, are Redshift's) and
// LISTAGG (string_agg stays). Open, Insert, Funcs, Merge and the other
// rewrites of Adapt are Redshift's.
type redshiftOnPostgres struct{ Redshift }

// testRedshiftLake is the lake of redshiftOnPostgres: COPY never runs, but
// a load validates it as Redshift does.
var testRedshiftLake = RedshiftOptions{IAMRole: "arn:aws:iam::123456789012:role/shoplake-redshift-copy", Bucket: "shoplake-lake"}

func (redshiftOnPostgres) Name() string { return "redshift-on-postgres" }

func (redshiftOnPostgres) Adapt(stmt string) []string { return adaptWith(stmt, redshiftPortable) }

func (r redshiftOnPostgres) loadParquet(ctx context.Context, conn *sql.Conn, codec *parquetCodec, t parquetTable, seq int64, f stagingFile) (int64, error) {
	l, err := r.stagingLoad(t, seq, f)
	if err != nil {
		return 0, err
	}
	rows, err := codec.decode(ctx, f.path, t.file)
	if err != nil {
		return 0, err
	}
	vals, err := pgValues(t.schema, t.table, t.file, rows)
	if err != nil {
		return 0, err
	}
	return l.run(ctx, conn, func() error {
		if len(vals) == 0 {
			return nil
		}
		return copyRows(ctx, conn, pgx.Identifier{l.temp}, t.file, vals)
	})
}

// OpenRedshiftOnPostgres opens the PostgreSQL database at dsn with the
// Redshift dialect, COPY from S3 and LISTAGG swapped out (see
// redshiftOnPostgres).
func OpenRedshiftOnPostgres(ctx context.Context, dsn string, opts Options) (*Warehouse, error) {
	return open(ctx, redshiftOnPostgres{Redshift{Lake: testRedshiftLake}}, dsn, opts)
}

// RedshiftInsert runs Redshift's Insert on db in a transaction of its own.
func RedshiftInsert(ctx context.Context, db *sql.DB, schema, table string, columns []string, rows [][]any) error {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	return inTx(ctx, conn, func() error { return Redshift{}.Insert(ctx, conn, schema, table, columns, rows) })
}

// DialectName is the name of w's dialect.
func (w *Warehouse) DialectName() string { return w.dialect.Name() }
