package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/warehouse"
)

// bucketDir is where the local lake of data directory dir keeps its
// objects, as files (the default bucket, no prefix).
func bucketDir(dir string) string { return filepath.Join(dir, "lake", "buckets", "shoplake") }

// exportsOnDisk reads every export manifest of dir's local lake from disk,
// in number order, and fails tb unless each is valid.
func exportsOnDisk(tb testing.TB, dir string) []lake.Export {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join(bucketDir(dir), "curated", "_exports", "*.json"))
	if err != nil {
		tb.Fatal(err)
	}
	sort.Strings(paths)
	var out []lake.Export
	for i, p := range paths {
		body, err := os.ReadFile(p)
		if err != nil {
			tb.Fatal(err)
		}
		e, err := lake.ParseExport(lake.CuratedExports+filepath.Base(p), body)
		if err != nil {
			tb.Fatal(err)
		}
		if e.Number != i+1 {
			tb.Fatalf("export %d is manifest %d on disk: numbers skip", e.Number, i+1)
		}
		out = append(out, e)
	}
	return out
}

// testCuratedOnDisk checks that the demo left exports in dir's lake, and
// that the newest one's files are on disk with the bytes it recorded and
// read with DuckDB's read_parquet straight from the lake's folder, as
// docs/MARTS.md says.
func testCuratedOnDisk(t *testing.T, dir string) {
	exports := exportsOnDisk(t, dir)
	if len(exports) < 2 {
		t.Fatalf("%d exports after a demo of 2 days, want one per day at least", len(exports))
	}
	latest := exports[len(exports)-1]
	if latest.AsOf == "" || len(latest.Checks) == 0 || len(latest.Marts) < 8 {
		t.Fatalf("latest export = %+v", latest)
	}
	reader, err := warehouse.Open(context.Background(), "", warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer reader.Close()
	for _, m := range latest.Marts {
		path := filepath.Join(bucketDir(dir), filepath.FromSlash(m.Key))
		body, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		if sum := sha256.Sum256(body); hex.EncodeToString(sum[:]) != m.SHA256 {
			t.Fatalf("%s: sha256 differs from the manifest's", path)
		}
		var n int64
		if err := reader.DB().QueryRow("SELECT count(*) FROM read_parquet('" + path + "')").Scan(&n); err != nil {
			t.Fatalf("read_parquet %s: %v", path, err)
		}
		if n != m.Rows {
			t.Fatalf("%s: read_parquet counts %d rows, the manifest %d", m.Key, n, m.Rows)
		}
	}
}
