package warehouse

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/money"
)

// TestParquetCodec_Deterministic encodes the same rows twice, from two
// codecs, and gets the same bytes; decoding gives the rows back.
func TestParquetCodec_Deterministic(t *testing.T) {
	ctx := context.Background()
	at := time.Date(2026, 1, 5, 10, 0, 0, 0, time.UTC)
	var rows [][]any
	for i := int64(1); i <= 3000; i++ {
		rows = append(rows, []any{"raw/events/dt=2026-01-05/hr=10/s-0-1-2.ndjson.gz", int64(0), i, "e" + string(rune('a'+i%26)), "purchase",
			at.Add(time.Duration(i) * time.Second), at.Add(time.Hour), "s1", i % 7, nil, int64(3), int64(2), money.Cents(1999), nil, int64(1), "shardId-000", "49",
			"mobile", "ios", "safari", "paid_search", "google", "cpc", "spring", "www.google.com", "/products/3", "ES", `{"x":1}`})
	}
	tbl := stagingTable("events")
	var bodies [][]byte
	for range 2 {
		c, err := newParquetCodec(ctx)
		if err != nil {
			t.Fatal(err)
		}
		b, err := c.encode(ctx, tbl, rows)
		if err != nil {
			t.Fatal(err)
		}
		bodies = append(bodies, b)
		path := filepath.Join(t.TempDir(), "in.parquet")
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := c.decode(ctx, path, tbl.file)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(rows) {
			t.Fatalf("decoded %d rows, want %d", len(got), len(rows))
		}
		want := append([]any{rows[41][0]}, rows[41][2:]...)
		if !reflect.DeepEqual(got[41], want) {
			t.Fatalf("row 42 decoded as %#v, want %#v", got[41], want)
		}
		_ = c.Close()
	}
	if !bytes.Equal(bodies[0], bodies[1]) {
		t.Fatalf("two encodings of the same rows differ (%d and %d bytes)", len(bodies[0]), len(bodies[1]))
	}
}
