package scenarios

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	_ "github.com/duckdb/duckdb-go/v2" // the "duckdb" driver of parquetReader

	"github.com/shoplake/shoplake/lake"
)

// The checkers read STAGING where it is: in the lake, as the Parquet files
// the staging manifests name (lake.Staged), not in one warehouse's staging
// tables. Where the two could disagree (an object staged whose load
// failed, a warehouse lost and not rebuilt yet, a damaged file that Load
// replaced by deriving it again from RAW), the checkers take the lake:
// STAGING is what every warehouse loads, and an event in the lake's
// STAGING is staged whatever a warehouse did with it. A file that fails its
// checksum is not counted as staged.

// parquetReader queries Parquet files of the lake with a private in-memory
// DuckDB. DuckDB has no access to the lake (no httpfs): each file is read
// through the lake's store, checked against its SHA-256, and copied into a
// temporary directory that read_parquet reads. Not safe for concurrent use.
type parquetReader struct {
	store lake.Reader
	db    *sql.DB
	dir   string
	n     int
	// keys maps each temporary file to its lake key.
	keys map[string]string
	// unreadable lists the files that failed their checksum ("key: why"),
	// left out of every view.
	unreadable []string
}

// newParquetReader opens the reader's database and temporary directory;
// Close removes both.
func newParquetReader(store lake.Reader) (*parquetReader, error) {
	dir, err := os.MkdirTemp("", "shoplake-scenario-parquet-")
	if err != nil {
		return nil, fmt.Errorf("read staging parquet: %w", err)
	}
	db, err := sql.Open("duckdb", "")
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("read staging parquet: open duckdb: %w", err)
	}
	// One connection: every view is on it.
	db.SetMaxOpenConns(1)
	return &parquetReader{store: store, db: db, dir: dir, keys: map[string]string{}}, nil
}

// Close closes the database and removes the temporary files.
func (p *parquetReader) Close() error {
	err := p.db.Close()
	if rmErr := os.RemoveAll(p.dir); err == nil {
		err = rmErr
	}
	return err
}

// view creates the view name over the Parquet files at keys, with a
// filename column (see key). It returns false, creating nothing, when no
// file could be read.
func (p *parquetReader) view(ctx context.Context, name string, keys []string) (bool, error) {
	var paths []string
	for _, k := range keys {
		body, err := p.store.Get(ctx, k)
		switch {
		case errors.Is(err, lake.ErrChecksum), errors.Is(err, lake.ErrNotFound):
			p.unreadable = append(p.unreadable, k+": "+err.Error())
			continue
		case err != nil:
			return false, fmt.Errorf("read %s: %w", k, err)
		}
		p.n++
		path := filepath.Join(p.dir, fmt.Sprintf("%06d.parquet", p.n))
		if err := os.WriteFile(path, body, 0o600); err != nil {
			return false, fmt.Errorf("copy %s: %w", k, err)
		}
		p.keys[path] = k
		paths = append(paths, "'"+strings.ReplaceAll(path, "'", "''")+"'")
	}
	if len(paths) == 0 {
		return false, nil
	}
	// name is one of this file's constants, never data.
	q := fmt.Sprintf("CREATE OR REPLACE VIEW %s AS SELECT * FROM read_parquet([%s], filename = true)", name, strings.Join(paths, ", "))
	if _, err := p.db.ExecContext(ctx, q); err != nil {
		return false, fmt.Errorf("read staging parquet %s: %w", name, err)
	}
	return true, nil
}

// key is the lake key of the temporary file a view's filename column names.
func (p *parquetReader) key(filename string) string { return p.keys[filename] }

// stagedFiles returns the keys of the files of table ("events",
// "quarantine"...) that the valid manifests ms name.
func stagedFiles(ms []lake.ReadStaged, table string) []string {
	var keys []string
	for _, m := range ms {
		for _, f := range m.Files {
			if f.Table == table {
				keys = append(keys, f.Key)
			}
		}
	}
	return keys
}

// stagedEvents reads the lake's STAGING of the RAW events objects: the
// rows of each event_id in the events files (a RAW object twice in RAW
// gives its rows twice, as staging.events holds them), and the distinct
// event records the transform rejected (its QUARANTINE files, disposition
// rejected): by event_id, or by the record's text when it has none. Only
// the files a valid staging manifest names count: an object is staged once
// its manifest exists. unreadable lists the files that fail their
// checksum.
func stagedEvents(ctx context.Context, store lake.Reader) (events map[string]int, rejected int, unreadable []string, err error) {
	ms, err := lake.ReadStagedManifests(ctx, store, lake.StagedEvents)
	if err != nil {
		return nil, 0, nil, err
	}
	p, err := newParquetReader(store)
	if err != nil {
		return nil, 0, nil, err
	}
	defer p.Close()
	events = map[string]int{}
	if ok, err := p.view(ctx, "events", stagedFiles(ms.Valid, "events")); err != nil {
		return nil, 0, nil, err
	} else if ok {
		if events, err = countBy[string](ctx, p.db, `SELECT event_id, count(*) FROM events GROUP BY event_id`); err != nil {
			return nil, 0, nil, fmt.Errorf("count staged events: %w", err)
		}
	}
	ids := map[string]bool{}
	if ok, err := p.view(ctx, "quarantine", stagedFiles(ms.Valid, "quarantine")); err != nil {
		return nil, 0, nil, err
	} else if ok {
		records, err := countBy[string](ctx, p.db, `SELECT record, count(*) FROM quarantine WHERE entity = 'events' AND disposition = 'rejected' GROUP BY record`)
		if err != nil {
			return nil, 0, nil, fmt.Errorf("count rejected events: %w", err)
		}
		// Distinct events: a copy that reached RAW twice is rejected twice.
		for rec := range records {
			var e struct {
				EventID string `json:"event_id"`
			}
			if json.Unmarshal([]byte(rec), &e) != nil || e.EventID == "" {
				ids[rec] = true
			} else {
				ids[e.EventID] = true
			}
		}
	}
	return events, len(ids), p.unreadable, nil
}

// rejectedByReason reads the transform's QUARANTINE files that the valid
// manifests ms name: per manifest key, the records rejected by reason.
func rejectedByReason(ctx context.Context, store lake.Reader, ms []lake.ReadStaged) (map[string]map[string]int, error) {
	out := map[string]map[string]int{}
	manifestOf := map[string]string{} // file key -> manifest key
	var keys []string
	for _, m := range ms {
		out[m.Info.Key] = map[string]int{}
		for _, f := range m.Files {
			if f.Table == "quarantine" {
				manifestOf[f.Key] = m.Info.Key
				keys = append(keys, f.Key)
			}
		}
	}
	if len(keys) == 0 {
		return out, nil
	}
	p, err := newParquetReader(store)
	if err != nil {
		return nil, err
	}
	defer p.Close()
	ok, err := p.view(ctx, "quarantine", keys)
	if err != nil || !ok {
		return out, err
	}
	rows, err := p.db.QueryContext(ctx, `SELECT filename, reason, count(*) FROM quarantine WHERE disposition = 'rejected' GROUP BY ALL`)
	if err != nil {
		return nil, fmt.Errorf("count rejected records: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var file, reason string
		var n int
		if err := rows.Scan(&file, &reason, &n); err != nil {
			return nil, fmt.Errorf("count rejected records: %w", err)
		}
		out[manifestOf[p.key(file)]][reason] += n
	}
	// A manifest whose quarantine file could not be read is left out, to
	// be read again next time.
	for _, u := range p.unreadable {
		k, _, _ := strings.Cut(u, ": ")
		delete(out, manifestOf[k])
	}
	return out, rows.Err()
}
