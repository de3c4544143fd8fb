package lake_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/lake/laketest"
)

func gz(tb testing.TB, s string) []byte {
	tb.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	if _, err := zw.Write([]byte(s)); err != nil {
		tb.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// TestCountRecords counts the records of a real local lake's RAW events:
// the lines of every gzip NDJSON object, blank lines not counted; an object
// dropped into the folder by hand and a truncated gzip are named, their
// records not counted; what is outside the prefix is not read.
func TestCountRecords(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, _ := laketest.NewStoreInDir(t, dir)
	put := func(key string, body []byte) {
		t.Helper()
		if err := store.PutIfAbsent(ctx, key, body); err != nil {
			t.Fatal(err)
		}
	}
	put("raw/events/dt=2026-01-01/hr=00/s-0-1-3.ndjson.gz", gz(t, "{\"a\":1}\n{\"a\":2}\n\n{\"a\":3}\n"))
	put("raw/events/dt=2026-01-01/hr=01/s-0-4-4.ndjson.gz", gz(t, "{\"a\":4}"))
	truncated := gz(t, strings.Repeat("{\"a\":5}\n", 100))
	put("raw/events/dt=2026-01-01/hr=02/s-0-5-9.ndjson.gz", truncated[:len(truncated)/2])
	put(lake.QuarantineEvents+"dt=2026-01-01/s-0-10-10.ndjson.gz", gz(t, "{\"data\":\"x\"}\n"))
	foreign := filepath.Join(dir, "buckets", laketest.Bucket, "raw", "events", "dt=2026-01-01", "hr=03", "by-hand.ndjson")
	if err := os.MkdirAll(filepath.Dir(foreign), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(foreign, []byte("{\"a\":6}\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("OK", func(t *testing.T) {
		rc, err := lake.CountRecords(ctx, store, lake.RawEvents)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := rc.Objects, 4; got != want {
			t.Errorf("objects = %d, want %d", got, want)
		}
		if got, want := rc.Records, 4; got != want {
			t.Errorf("records = %d, want %d (blank lines and unreadable objects not counted)", got, want)
		}
		if len(rc.Unreadable) != 2 || !strings.Contains(rc.Unreadable[0], "s-0-5-9") || !strings.Contains(rc.Unreadable[1], "by-hand.ndjson: not written by shoplake") {
			t.Errorf("unreadable = %q, want the truncated gzip and the foreign file", rc.Unreadable)
		}
	})
	t.Run("Quarantine", func(t *testing.T) {
		rc, err := lake.CountRecords(ctx, store, lake.QuarantineEvents)
		if err != nil {
			t.Fatal(err)
		}
		if rc.Objects != 1 || rc.Records != 1 || len(rc.Unreadable) != 0 {
			t.Errorf("QUARANTINE = %+v, want 1 object, 1 record", rc)
		}
	})
	t.Run("Empty", func(t *testing.T) {
		rc, err := lake.CountRecords(ctx, store, "raw/none/")
		if err != nil || rc.Objects != 0 || rc.Records != 0 {
			t.Errorf("empty prefix = %+v, %v", rc, err)
		}
	})
}
