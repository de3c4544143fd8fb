package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"

	duckdb "github.com/duckdb/duckdb-go/v2"

	"github.com/shoplake/shoplake/internal/money"
)

// parquetCodec writes and reads the lake's Parquet (STAGING, the transform's
// QUARANTINE, CURATED) with a private in-memory DuckDB that has the
// warehouse's schema: a file's columns and types are those of the table it
// comes from, whatever engine the warehouse runs on. DuckDB has no access to
// the lake (no httpfs): files pass through the codec's temporary directory.
//
// Encoding is deterministic: one thread, rows in the order given, no
// timestamp in the file. The same rows give the same bytes, which is what
// lets a derived object be written with a conditional put and found equal
// when it is derived again.
type parquetCodec struct {
	mu  sync.Mutex
	wh  *Warehouse
	dir string
}

// newParquetCodec opens the codec's in-memory database and migrates it.
func newParquetCodec(ctx context.Context) (*parquetCodec, error) {
	dir, err := os.MkdirTemp("", "shoplake-parquet-")
	if err != nil {
		return nil, fmt.Errorf("parquet codec: %w", err)
	}
	// The codec holds one RAW object's rows at a time; past its memory
	// limit it spills into its own directory.
	wh, err := open(ctx, DuckDB{MemoryLimit: codecMemoryLimit, TempDir: filepath.Join(dir, "spill")}, "", Options{})
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("parquet codec: %w", err)
	}
	// One thread: a Parquet file's row groups in one order, the same bytes.
	if _, err := wh.db.ExecContext(ctx, "SET threads = 1"); err != nil {
		_ = wh.Close()
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("parquet codec: %w", err)
	}
	wh.db.SetMaxOpenConns(1)
	return &parquetCodec{wh: wh, dir: dir}, nil
}

// codecMemoryLimit is the Parquet codec's DuckDB memory_limit.
const codecMemoryLimit = "128MB"

// Close closes the database and removes its temporary directory.
func (c *parquetCodec) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.wh.Close()
	if rmErr := os.RemoveAll(c.dir); err == nil {
		err = rmErr
	}
	return err
}

// parquetTable names a table of the warehouse's schema and the columns a
// file of it holds, in order.
type parquetTable struct {
	schema, table string
	// columns are the table's columns the rows fill, in row order; file
	// those the file keeps (a subset, in this order).
	columns, file []string
}

// encode writes rows (in t.columns order) as one Parquet file of t.file's
// columns, in the order given.
func (c *parquetCodec) encode(ctx context.Context, t parquetTable, rows [][]any) (body []byte, err error) {
	pw, err := c.writer(ctx)
	if err != nil {
		return nil, fmt.Errorf("encode %s as parquet: %w", qualified(c.wh.dialect, t.schema, t.table), err)
	}
	defer func() {
		if cerr := pw.close(); err == nil && cerr != nil {
			body, err = nil, fmt.Errorf("encode %s as parquet: %w", qualified(c.wh.dialect, t.schema, t.table), cerr)
		}
	}()
	if err := pw.append(ctx, t, rows); err != nil {
		return nil, err
	}
	return pw.encode(ctx, t)
}

// parquetWriter encodes rows appended a chunk at a time, to as many tables
// as a RAW object feeds, as one Parquet file per table: the rows of a
// large object are handed to the codec's DuckDB as they are typed, never
// all held in Go. The rows live in a transaction that close rolls back:
// the tables are buffers. A writer holds the codec until it is closed.
type parquetWriter struct {
	c    *parquetCodec
	conn *sql.Conn
}

// writer opens a parquetWriter; the caller closes it.
func (c *parquetCodec) writer(ctx context.Context) (*parquetWriter, error) {
	c.mu.Lock()
	conn, err := c.wh.db.Conn(ctx)
	if err != nil {
		c.mu.Unlock()
		return nil, err
	}
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		_ = conn.Close()
		c.mu.Unlock()
		return nil, err
	}
	return &parquetWriter{c: c, conn: conn}, nil
}

// append adds rows (in t.columns order) after those appended to t before.
func (pw *parquetWriter) append(ctx context.Context, t parquetTable, rows [][]any) error {
	d := pw.c.wh.dialect
	if err := d.Insert(ctx, pw.conn, t.schema, t.table, t.columns, rows); err != nil {
		return fmt.Errorf("encode %s as parquet: %w", qualified(d, t.schema, t.table), err)
	}
	return nil
}

// encodeFile writes the rows appended to t, in the order appended, as one
// Parquet file of t.file's columns, in a new file of the codec's directory
// that the caller owns (lake.SpoolFile adopts it).
func (pw *parquetWriter) encodeFile(ctx context.Context, t parquetTable) (string, error) {
	d := pw.c.wh.dialect
	target := qualified(d, t.schema, t.table)
	f, err := os.CreateTemp(pw.c.dir, "out-*.parquet")
	if err != nil {
		return "", fmt.Errorf("encode %s as parquet: %w", target, err)
	}
	path := f.Name()
	if err := f.Close(); err != nil {
		_ = os.Remove(path)
		return "", fmt.Errorf("encode %s as parquet: %w", target, err)
	}
	cols := make([]string, len(t.file))
	for i, col := range t.file {
		cols[i] = d.QuoteIdent(col)
	}
	// rowid keeps the appender's order: the order given.
	q := fmt.Sprintf("COPY (SELECT %s FROM %s ORDER BY rowid) TO %s (FORMAT parquet, COMPRESSION zstd)",
		strings.Join(cols, ", "), target, sqlString(path))
	if _, err := pw.conn.ExecContext(ctx, q); err != nil {
		_ = os.Remove(path)
		return "", fmt.Errorf("encode %s as parquet: %w", target, err)
	}
	return path, nil
}

// encode is encodeFile with the file's bytes returned and the file removed:
// for files small enough to hold (a mart in CURATED).
func (pw *parquetWriter) encode(ctx context.Context, t parquetTable) ([]byte, error) {
	path, err := pw.encodeFile(ctx, t)
	if err != nil {
		return nil, err
	}
	body, err := os.ReadFile(path)
	if rmErr := os.Remove(path); err == nil {
		err = rmErr
	}
	if err != nil {
		return nil, fmt.Errorf("encode %s as parquet: %w", qualified(pw.c.wh.dialect, t.schema, t.table), err)
	}
	return body, nil
}

// close drops what was appended and releases the codec.
func (pw *parquetWriter) close() error {
	if pw.conn == nil {
		return nil
	}
	// Nothing the codec writes is kept: the tables are buffers.
	_, err := pw.conn.ExecContext(context.Background(), "ROLLBACK")
	if cerr := pw.conn.Close(); err == nil {
		err = cerr
	}
	pw.conn = nil
	pw.c.mu.Unlock()
	return err
}

// decode reads the Parquet file at path, of columns cols, into rows of Go
// values, as Insert takes them (money.Cents for DECIMAL(18,2)).
func (c *parquetCodec) decode(ctx context.Context, path string, cols []string) ([][]any, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	d := c.wh.dialect
	quoted := make([]string, len(cols))
	for i, col := range cols {
		quoted[i] = d.QuoteIdent(col)
	}
	rs, err := c.wh.db.QueryContext(ctx, fmt.Sprintf("SELECT %s FROM read_parquet(%s)", strings.Join(quoted, ", "), sqlString(path)))
	if err != nil {
		return nil, fmt.Errorf("decode parquet: %w", err)
	}
	defer rs.Close()
	var out [][]any
	for rs.Next() {
		row := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range row {
			ptrs[i] = &row[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			return nil, fmt.Errorf("decode parquet: %w", err)
		}
		for i, v := range row {
			if dec, ok := v.(duckdb.Decimal); ok {
				if dec.Scale != 2 || !dec.Value.IsInt64() {
					return nil, fmt.Errorf("decode parquet: column %s: decimal with scale %d", cols[i], dec.Scale)
				}
				row[i] = money.Cents(dec.Value.Int64())
			}
		}
		out = append(out, row)
	}
	return out, rs.Err()
}

// sqlString quotes s as a SQL string literal. It is used only for the
// paths of the codec's temporary files, never for data.
func sqlString(s string) string {
	return "'" + strings.ReplaceAll(s, "'", "''") + "'"
}

// stagingTable is the parquetTable of staging table t ("events",
// "fakestore_users"..., "quarantine"): every column but load_seq, which
// each warehouse numbers for itself.
func stagingTable(t string) parquetTable {
	cols := stagingColumns[t]
	if t == "quarantine" {
		cols = quarantineColumns
	}
	file := make([]string, 0, len(cols)-1)
	for _, c := range cols {
		if c != "load_seq" {
			file = append(file, c)
		}
	}
	return parquetTable{schema: "staging", table: t, columns: cols, file: file}
}
