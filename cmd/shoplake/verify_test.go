package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// TestVerifyCmd runs a demo into a data directory and verifies its whole
// lake: clean, it exits 0; after one loaded object is corrupted on disk,
// another deleted, and a file dropped into the lake folder by hand, it
// names each and fails, in text and in JSON; without the warehouse the
// deleted one is still found, by the staging manifest that names it.
func TestVerifyCmd(t *testing.T) {
	dir := t.TempDir()
	if _, stderr, err := execute(t, "demo", "--seed", "5", "--days", "1", "--users", "20", "--data-dir", dir); err != nil {
		t.Fatalf("demo: %v\n%s", err, stderr)
	}
	out, stderr, err := execute(t, "verify", "--data-dir", dir)
	if err != nil {
		t.Fatalf("verify of a clean lake: %v\n%s\n%s", err, out, stderr)
	}
	for _, want := range []string{"verify the whole lake", "0 corrupt, 0 missing, 0 foreign", "raw/events", "staging/_staged/events", "staging/events", "0 not staged yet"} {
		if !strings.Contains(out, want) {
			t.Fatalf("verify of a clean lake lacks %q:\n%s", want, out)
		}
	}

	bucket := filepath.Join(dir, "lake", "buckets", "shoplake")
	var events []string
	err = filepath.WalkDir(filepath.Join(bucket, "raw", "events"), func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			events = append(events, p)
		}
		return err
	})
	if err != nil || len(events) < 2 {
		t.Fatalf("events objects: %v, %v", events, err)
	}
	sort.Strings(events)
	key := func(p string) string {
		rel, _ := filepath.Rel(bucket, p)
		return filepath.ToSlash(rel)
	}
	corrupt, gone := events[0], events[1]
	b, err := os.ReadFile(corrupt)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(corrupt, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(gone); err != nil {
		t.Fatal(err)
	}
	dropped := filepath.Join(bucket, "raw", "events", "dt=2026-01-01", "hr=00", "copied-by-hand.ndjson")
	if err := os.MkdirAll(filepath.Dir(dropped), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dropped, []byte(`{"event_id":"x"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}

	t.Run("Text", func(t *testing.T) {
		out, stderr, err := execute(t, "verify", "--data-dir", dir)
		if err == nil {
			t.Fatalf("verify of a damaged lake exited 0:\n%s", out)
		}
		for _, want := range []string{"1 corrupt, 1 missing, 1 foreign", key(corrupt), key(gone), key(dropped),
			"corrupt: sha256 differs from the one recorded at write", "not written by shoplake"} {
			if !strings.Contains(out, want) {
				t.Fatalf("verify output lacks %q:\n%s\nstderr:\n%s", want, out, stderr)
			}
		}
		if !strings.Contains(err.Error(), "1 corrupt, 1 missing, 1 foreign") {
			t.Fatalf("error %q", err)
		}
	})
	t.Run("JSON", func(t *testing.T) {
		out, _, err := execute(t, "verify", "--data-dir", dir, "--json")
		if err == nil {
			t.Fatal("exit 0")
		}
		var rep verifyReport
		if jerr := json.Unmarshal([]byte(out), &rep); jerr != nil {
			t.Fatalf("--json output is not JSON: %v\n%s", jerr, out)
		}
		if len(rep.Corrupt) != 1 || rep.Corrupt[0].Key != key(corrupt) || len(rep.Missing) != 1 || rep.Missing[0].Key != key(gone) ||
			len(rep.Foreign) != 1 || rep.Foreign[0].Key != key(dropped) || !rep.WarehouseChecked {
			t.Fatalf("report = %+v", rep)
		}
	})
	t.Run("NoWarehouse", func(t *testing.T) {
		out, _, err := execute(t, "verify", "--data-dir", dir, "--no-warehouse")
		if err == nil || !strings.Contains(out, "1 corrupt, 1 missing, 1 foreign") || !strings.Contains(out, "lake only") ||
			!strings.Contains(out, key(gone)+": missing: gone from the lake, staged by staging/_staged/events/") {
			t.Fatalf("--no-warehouse: %v\n%s", err, out)
		}
	})
	t.Run("RawOnly", func(t *testing.T) {
		out, _, err := execute(t, "verify", "--data-dir", dir, "--prefix", "raw/", "--json")
		if err == nil {
			t.Fatal("exit 0")
		}
		var rep verifyReport
		if jerr := json.Unmarshal([]byte(out), &rep); jerr != nil {
			t.Fatalf("--json output is not JSON: %v\n%s", jerr, out)
		}
		if rep.Prefix != "raw/" || rep.Staged == 0 || rep.NotStaged != 0 || len(rep.Corrupt)+len(rep.Missing)+len(rep.Foreign) != 3 {
			t.Fatalf("report = %+v", rep)
		}
		for _, z := range rep.Zones {
			if !strings.HasPrefix(z.Zone, "raw/") {
				t.Fatalf("zone %s read under raw/", z.Zone)
			}
		}
	})
}
