package lake_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/lake/laketest"
)

func TestCuratedKey(t *testing.T) {
	sum := strings.Repeat("ab", 32)
	t.Run("OK", func(t *testing.T) {
		if got, err := lake.CuratedKey("daily_kpis", sum); err != nil || got != "curated/daily_kpis/"+sum+".parquet" {
			t.Fatalf("CuratedKey = %q, %v", got, err)
		}
	})
	t.Run("ErrInvalidKey", func(t *testing.T) {
		for _, tc := range []struct{ mart, sum string }{
			{"_exports", sum}, {"../raw", sum}, {"a/b", sum}, {"", sum}, {"daily_kpis", "abc"}, {"daily_kpis", strings.ToUpper(sum)},
		} {
			if k, err := lake.CuratedKey(tc.mart, tc.sum); !errors.Is(err, lake.ErrInvalidKey) {
				t.Errorf("CuratedKey(%q, %q) = %q, %v; want ErrInvalidKey", tc.mart, tc.sum, k, err)
			}
		}
	})
}

func TestExportKey(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		for n, want := range map[int]string{1: "curated/_exports/00000001.json", 12: "curated/_exports/00000012.json", lake.MaxExport: "curated/_exports/99999999.json"} {
			got, err := lake.ExportKey(n)
			if err != nil || got != want {
				t.Errorf("ExportKey(%d) = %q, %v; want %q", n, got, err, want)
			}
			if back, ok := lake.ExportNumber(got); !ok || back != n {
				t.Errorf("ExportNumber(%q) = %d, %v; want %d", got, back, ok, n)
			}
		}
	})
	t.Run("ErrInvalidKey", func(t *testing.T) {
		for _, n := range []int{0, -1, lake.MaxExport + 1} {
			if _, err := lake.ExportKey(n); !errors.Is(err, lake.ErrInvalidKey) {
				t.Errorf("ExportKey(%d): err = %v, want ErrInvalidKey", n, err)
			}
		}
		for _, k := range []string{"curated/_exports/1.json", "curated/_exports/00000000.json", "curated/_exports/0000000a.json", "curated/x/00000001.json", "curated/_exports/00000001.json.tmp"} {
			if n, ok := lake.ExportNumber(k); ok {
				t.Errorf("ExportNumber(%q) = %d, want not an export key", k, n)
			}
		}
	})
}

// testExport is a valid export numbered n.
func testExport(n int) lake.Export {
	mart := func(name, sum string) lake.ExportedMart {
		k, _ := lake.CuratedKey(name, sum)
		return lake.ExportedMart{Mart: name, Key: k, SHA256: sum, Rows: 3, Bytes: 100}
	}
	return lake.Export{
		Format: lake.ExportFormat, Number: n, AsOf: "2026-01-08T00:00:00Z",
		Marts: []lake.ExportedMart{mart("cohort_ltv", strings.Repeat("1", 64)), mart("daily_kpis", strings.Repeat("2", 64))},
		Checks: []lake.ExportCheck{
			{Check: "events_not_null", Severity: "blocking", Status: "pass"},
			{Check: "events_volume", Severity: "warning", Status: "warn", Failures: 1},
		},
	}
}

func TestExport_Validate(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		if err := testExport(1).Validate(); err != nil {
			t.Fatal(err)
		}
		e := testExport(1)
		e.AsOf = ""
		if err := e.Validate(); err != nil {
			t.Fatalf("no as_of: %v", err)
		}
	})
	for name, tc := range map[string]struct {
		edit func(*lake.Export)
		want string
	}{
		"Format":         {func(e *lake.Export) { e.Format = 2 }, "format 2"},
		"Number":         {func(e *lake.Export) { e.Number = 0 }, "export number 0"},
		"AsOfNotUTC":     {func(e *lake.Export) { e.AsOf = "2026-01-08T01:00:00+01:00" }, "not an RFC 3339 time in UTC"},
		"AsOfNotTime":    {func(e *lake.Export) { e.AsOf = "2026-01-08" }, "not an RFC 3339 time"},
		"NoMarts":        {func(e *lake.Export) { e.Marts = nil }, "names no mart"},
		"Unsorted":       {func(e *lake.Export) { e.Marts[0], e.Marts[1] = e.Marts[1], e.Marts[0] }, "not sorted"},
		"Twice":          {func(e *lake.Export) { e.Marts[1] = e.Marts[0] }, "not sorted by name, each once"},
		"KeyNotSHA":      {func(e *lake.Export) { e.Marts[0].Key = "curated/cohort_ltv/x.parquet" }, "want curated/cohort_ltv/"},
		"Escape":         {func(e *lake.Export) { e.Marts[0].Mart = "../raw" }, "invalid object key"},
		"NoBytes":        {func(e *lake.Export) { e.Marts[0].Bytes = 0 }, "0 bytes"},
		"BlockedRun":     {func(e *lake.Export) { e.Checks[0].Status = "fail" }, "blocked run"},
		"Severity":       {func(e *lake.Export) { e.Checks[0].Severity = "fatal" }, "severity \"fatal\""},
		"Status":         {func(e *lake.Export) { e.Checks[1].Status = "ok" }, "status \"ok\""},
		"CheckTwice":     {func(e *lake.Export) { e.Checks[1].Check = e.Checks[0].Check }, "listed twice"},
		"NegativeCounts": {func(e *lake.Export) { e.Checks[1].Failures = -1 }, "-1 failures"},
	} {
		t.Run(name, func(t *testing.T) {
			e := testExport(1)
			tc.edit(&e)
			if err := e.Validate(); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Validate() = %v, want an error saying %q", err, tc.want)
			}
		})
	}
}

func TestParseExport(t *testing.T) {
	body, err := testExport(3).Encode()
	if err != nil {
		t.Fatal(err)
	}
	t.Run("OK", func(t *testing.T) {
		e, err := lake.ParseExport("curated/_exports/00000003.json", body)
		if err != nil || !e.AddsNothingTo(testExport(9)) || e.Number != 3 {
			t.Fatalf("ParseExport = %+v, %v", e, err)
		}
		again, _ := e.Encode()
		if string(again) != string(body) {
			t.Fatalf("encode(parse(b)) != b:\n%s\n%s", again, body)
		}
	})
	t.Run("OtherKey", func(t *testing.T) {
		if _, err := lake.ParseExport("curated/_exports/00000004.json", body); err == nil || !strings.Contains(err.Error(), "belongs at curated/_exports/00000003.json") {
			t.Fatalf("err = %v", err)
		}
	})
	t.Run("UnknownField", func(t *testing.T) {
		b := strings.Replace(string(body), `"format": 1,`, `"format": 1, "exported_at": "now",`, 1)
		if _, err := lake.ParseExport("curated/_exports/00000003.json", []byte(b)); err == nil || !strings.Contains(err.Error(), "not an export manifest") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestExport_AddsNothingTo(t *testing.T) {
	newest := testExport(1)
	for name, tc := range map[string]struct {
		edit func(*lake.Export)
		want bool
	}{
		// A run that changed no mart: its checks saw its own (empty)
		// increment; the newest export stands.
		"SameData":      {func(e *lake.Export) {}, true},
		"RerunChecks":   {func(e *lake.Export) { e.Checks[1].Status = "skipped"; e.Checks[1].Failures = 0 }, true},
		"OtherAsOf":     {func(e *lake.Export) { e.AsOf = "2026-01-09T00:00:00Z" }, false},
		"OtherMartFile": {func(e *lake.Export) { e.Marts[0].SHA256 = strings.Repeat("3", 64) }, false},
		"MartMore": {func(e *lake.Export) {
			e.Marts = append(e.Marts, lake.ExportedMart{Mart: "z", Key: "curated/z/" + strings.Repeat("4", 64) + ".parquet", SHA256: strings.Repeat("4", 64), Bytes: 1})
		}, false},
	} {
		t.Run(name, func(t *testing.T) {
			e := testExport(2)
			tc.edit(&e)
			if got := e.AddsNothingTo(newest); got != tc.want {
				t.Fatalf("AddsNothingTo = %v, want %v", got, tc.want)
			}
		})
	}
}

// TestLatestExport writes exports to a real local lake and reads the newest
// one back, past a corrupt manifest above it, an invalid one, and a file
// dropped beside them by hand.
func TestLatestExport(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	store, _ := laketest.NewStoreInDir(t, dir)

	t.Run("Empty", func(t *testing.T) {
		ex, err := lake.LatestExport(ctx, store)
		if err != nil || ex.Latest != nil || ex.Highest != 0 || len(ex.Skipped) != 0 {
			t.Fatalf("LatestExport of an empty lake = %+v, %v", ex, err)
		}
	})

	pub, err := lake.PublishExport(ctx, store, testExport(0), 0)
	if err != nil || !pub.Written || pub.Export.Number != 1 || pub.Export.Info.Key != "curated/_exports/00000001.json" {
		t.Fatalf("first PublishExport = %+v, %v", pub, err)
	}
	// The same content again: nothing written.
	if pub, err := lake.PublishExport(ctx, store, testExport(7), 0); err != nil || pub.Written || pub.Export.Number != 1 {
		t.Fatalf("PublishExport of the same content = %+v, %v; want export 1, nothing written", pub, err)
	}
	second := testExport(0)
	second.AsOf = "2026-01-09T00:00:00Z"
	if pub, err := lake.PublishExport(ctx, store, second, 0); err != nil || !pub.Written || pub.Export.Number != 2 {
		t.Fatalf("PublishExport of new content = %+v, %v; want export 2", pub, err)
	}

	// Above export 2: export 3 corrupt on disk, export 4 not a manifest,
	// and a file by hand that is no export's key.
	third := testExport(3)
	third.AsOf = "2026-01-10T00:00:00Z"
	body, _ := third.Encode()
	if err := store.PutIfAbsent(ctx, "curated/_exports/00000003.json", body); err != nil {
		t.Fatal(err)
	}
	onDisk := filepath.Join(dir, "buckets", laketest.Bucket, "curated", "_exports", "00000003.json")
	if err := os.WriteFile(onDisk, append(body[:len(body)-1:len(body)-1], ' ', '\n'), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := store.PutIfAbsent(ctx, "curated/_exports/00000004.json", []byte(`{"format": 1}`)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(onDisk), "notes.txt"), []byte("hello"), 0o644); err != nil {
		t.Fatal(err)
	}

	ex, err := lake.LatestExport(ctx, store)
	if err != nil {
		t.Fatal(err)
	}
	if ex.Latest == nil || ex.Latest.Number != 2 || ex.Latest.AsOf != "2026-01-09T00:00:00Z" || ex.Highest != 4 {
		t.Fatalf("LatestExport = %+v, want export 2, highest 4", ex)
	}
	var reasons []string
	for _, b := range ex.Skipped {
		reasons = append(reasons, b.Info.Key+": "+b.Reason)
	}
	want := []string{
		"curated/_exports/00000004.json: not a valid export manifest",
		"curated/_exports/00000003.json: corrupt",
		"curated/_exports/notes.txt: not an export manifest's key",
	}
	if len(reasons) != len(want) {
		t.Fatalf("skipped %q, want %d", reasons, len(want))
	}
	for i := range want {
		if !strings.HasPrefix(reasons[i], want[i]) {
			t.Errorf("skipped[%d] = %q, want %q...", i, reasons[i], want[i])
		}
	}

	// The next export takes 5: numbers are never reused.
	fifth := testExport(0)
	fifth.AsOf = "2026-01-11T00:00:00Z"
	if pub, err := lake.PublishExport(ctx, store, fifth, 0); err != nil || !pub.Written || pub.Export.Number != 5 || len(pub.Skipped) != 3 {
		t.Fatalf("PublishExport after bad manifests = %+v, %v; want export 5", pub, err)
	}
}

// racingStore lets another writer take the next export number before each
// of the first n conditional puts of a manifest.
type racingStore struct {
	*lake.S3Store
	mu    sync.Mutex
	n     int
	other func(context.Context) error
}

func (s *racingStore) PutIfAbsent(ctx context.Context, key string, body []byte) error {
	s.mu.Lock()
	race := s.n > 0 && strings.HasPrefix(key, lake.CuratedExports)
	if race {
		s.n--
	}
	s.mu.Unlock()
	if race {
		if err := s.other(ctx); err != nil {
			return err
		}
	}
	return s.S3Store.PutIfAbsent(ctx, key, body)
}

func TestPublishExport_Race(t *testing.T) {
	ctx := context.Background()
	store := laketest.NewStore(t)
	day := 10
	rival := func(ctx context.Context) error {
		e := testExport(0)
		e.AsOf = "2026-01-" + string(rune('0'+day/10)) + string(rune('0'+day%10)) + "T00:00:00Z"
		day++
		_, err := lake.PublishExport(ctx, store, e, 1)
		return err
	}
	t.Run("OK", func(t *testing.T) {
		rs := &racingStore{S3Store: store, n: 2, other: rival}
		pub, err := lake.PublishExport(ctx, rs, testExport(0), 3)
		if err != nil || !pub.Written || pub.Export.Number != 3 {
			t.Fatalf("PublishExport losing two races = %+v, %v; want export 3", pub, err)
		}
	})
	t.Run("ErrExists", func(t *testing.T) {
		rs := &racingStore{S3Store: store, n: 5, other: rival}
		e := testExport(0)
		e.AsOf = "2026-02-01T00:00:00Z"
		_, err := lake.PublishExport(ctx, rs, e, 2)
		if !errors.Is(err, lake.ErrExists) || !strings.Contains(err.Error(), "2 times in a row") {
			t.Fatalf("PublishExport losing every race: err = %v", err)
		}
	})
}
