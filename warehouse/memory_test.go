package warehouse

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
)

// TestDuckDB_MemoryLimit: the warehouse's DuckDB runs under the limit the
// options give (the default when they give none), a limit that is not a
// size is refused before DuckDB sees it, and an out-of-memory error tells
// the user which setting to raise.
func TestDuckDB_MemoryLimit(t *testing.T) {
	ctx := context.Background()
	setting := func(w *Warehouse) string {
		var v string
		if err := w.db.QueryRowContext(ctx, "SELECT current_setting('memory_limit')").Scan(&v); err != nil {
			t.Fatal(err)
		}
		return v
	}
	for limit, want := range map[string]string{"": "366.2 MiB", "300MB": "286.1 MiB", "1GiB": "1.0 GiB"} {
		w, err := Open(ctx, filepath.Join(t.TempDir(), "w.duckdb"), Options{DuckDBMemoryLimit: limit})
		if err != nil {
			t.Fatal(err)
		}
		if got := setting(w); got != want {
			t.Errorf("limit %q: DuckDB's memory_limit is %s, want %s", limit, got, want)
		}
		w.Close()
	}
	for _, bad := range []string{"lots", "256", "256MB&threads=64", "-1GB"} {
		if _, err := Open(ctx, filepath.Join(t.TempDir(), "w.duckdb"), Options{DuckDBMemoryLimit: bad}); err == nil || !strings.Contains(err.Error(), "256MB or 1GiB") {
			t.Errorf("limit %q: err = %v, want a refusal naming the accepted form", bad, err)
		}
	}

	w, err := Open(ctx, "", Options{DuckDBMemoryLimit: "200MB"})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	oom := errors.New("model core_events: Out of Memory Error: could not allocate block of size 256.0 KiB (190.7 MiB/190.7 MiB used)")
	got := w.explainOutOfMemory(oom)
	if !errors.Is(got, oom) || !strings.Contains(got.Error(), "warehouse.duckdb_memory_limit") || !strings.Contains(got.Error(), "(200MB)") {
		t.Errorf("out of memory explained as %q", got)
	}
	if other := errors.New("model x: Binder Error"); w.explainOutOfMemory(other) != other {
		t.Errorf("an error that is not out of memory was changed")
	}
}
