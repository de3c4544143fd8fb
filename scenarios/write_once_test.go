package scenarios

import (
	"context"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/lake/s3local"
)

// TestRawNeverOverwritten checks the checker on hand-made observations: a
// key of any write-once zone written twice, or deleted, fails it, and the
// violation names the zone; keys outside those zones (checkpoints, the
// stream's QUARANTINE) are not its business.
func TestRawNeverOverwritten(t *testing.T) {
	once := map[string]int{
		"raw/events/dt=2026-01-01/hr=00/s-0-1-1.ndjson.gz":           1,
		"staging/_staged/events/dt=2026-01-01/hr=00/s-0-1-1.json":    1,
		"staging/events/dt=2026-01-01/s-0-1-1.parquet":               1,
		"quarantine/transform/events/dt=2026-01-01/s-0-1-1.parquet":  1,
		"curated/daily_kpis/" + strings.Repeat("a", 64) + ".parquet": 1,
		"curated/_exports/00000001.json":                             1,
		"checkpoints/g/s/shard.json":                                 7, // mutable
		"quarantine/events/dt=2026-01-01/hr=00/s-0-2-2.ndjson.gz":    2, // not watched
	}
	with := func(key string, n int) map[string]int {
		m := map[string]int{}
		for k, v := range once {
			m[k] = v
		}
		m[key] = n
		return m
	}
	counts := func(r CheckResult) string {
		var parts []string
		for _, c := range r.Counts {
			parts = append(parts, c.Name+"="+strconv.Itoa(c.N))
		}
		return strings.Join(parts, " ")
	}
	t.Run("OK", func(t *testing.T) {
		r := RawNeverOverwritten{}.Check(&Observation{RawPuts: once})
		if !r.OK {
			t.Fatalf("violations: %v", r.Violations)
		}
		if got, want := counts(r), "raw_keys_written=1 overwritten=0 deleted=0 staging_keys_written=2 quarantine_transform_keys_written=1 curated_keys_written=2"; got != want {
			t.Errorf("counts = %q, want %q", got, want)
		}
	})
	for _, tc := range []struct {
		name    string
		o       Observation
		want    string
		counted string
	}{
		{"StagingWrittenTwice", Observation{RawPuts: with("staging/events/dt=2026-01-01/s-0-1-1.parquet", 2)},
			"1 STAGING keys written more than once; first: staging/events/dt=2026-01-01/s-0-1-1.parquet (2 writes)", "overwritten=1 deleted=0"},
		{"ManifestWrittenTwice", Observation{RawPuts: with("staging/_staged/events/dt=2026-01-01/hr=00/s-0-1-1.json", 3)},
			"1 STAGING keys written more than once", "overwritten=1"},
		{"TransformQuarantineWrittenTwice", Observation{RawPuts: with("quarantine/transform/events/dt=2026-01-01/s-0-1-1.parquet", 2)},
			"1 transform QUARANTINE keys written more than once", "overwritten=1"},
		{"CuratedDeleted", Observation{RawPuts: once, RawDeletes: []string{"curated/_exports/00000001.json"}},
			"1 CURATED keys deleted; first: curated/_exports/00000001.json", "overwritten=0 deleted=1"},
		{"RawWrittenTwice", Observation{RawPuts: with("raw/events/dt=2026-01-01/hr=00/s-0-1-1.ndjson.gz", 2)},
			"1 RAW keys written more than once", "overwritten=1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := RawNeverOverwritten{}.Check(&tc.o)
			if r.OK || len(r.Violations) != 1 || !strings.HasPrefix(r.Violations[0], tc.want) {
				t.Fatalf("violations = %q, want one starting %q", r.Violations, tc.want)
			}
			if !strings.Contains(counts(r), tc.counted) {
				t.Errorf("counts %q lack %q", counts(r), tc.counted)
			}
		})
	}
}

// TestS3Journal_WriteOnce puts through a real S3 endpoint behind the
// journal: deriving a STAGING object again (lake.PutDerived: a conditional
// put the endpoint refuses with 412, the same bytes found there) is not a
// second write; an unconditional put over it is, and the checker fails
// naming STAGING. Mutable keys (checkpoints) are not journaled.
func TestS3Journal_WriteOnce(t *testing.T) {
	ctx := context.Background()
	srv, err := s3local.New(t.TempDir(), clock.NewSim(time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	if err != nil {
		t.Fatal(err)
	}
	j := newS3Journal("lake")
	ts := httptest.NewServer(j.wrap(srv))
	t.Cleanup(ts.Close)
	cfg, err := config.DefaultConfig().AWSConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	store := lake.NewS3Store(lake.NewS3Client(cfg, ts.URL), "journal-test", "lake/")
	if err := store.EnsureBucket(ctx); err != nil {
		t.Fatal(err)
	}
	key := "staging/events/dt=2026-01-01/s-0-1-1.parquet"
	for i := range 3 {
		written, err := lake.PutDerived(ctx, store, key, []byte("parquet"))
		if err != nil || written != (i == 0) {
			t.Fatalf("PutDerived #%d: written %v, %v", i+1, written, err)
		}
	}
	for range 2 {
		if err := store.Put(ctx, "checkpoints/g/s/shard.json", []byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	observe := func() *Observation {
		j.mu.Lock()
		defer j.mu.Unlock()
		o := &Observation{RawPuts: map[string]int{}, RawDeletes: append([]string(nil), j.deletes...)}
		for k, n := range j.puts {
			o.RawPuts[k] = n
		}
		return o
	}
	o := observe()
	if got := o.RawPuts; len(got) != 1 || got[key] != 1 {
		t.Fatalf("journal = %v, want %s written once", got, key)
	}
	if r := (RawNeverOverwritten{}).Check(o); !r.OK {
		t.Fatalf("the same bytes derived again: %v", r.Violations)
	}
	if err := store.Put(ctx, key, []byte("other parquet")); err != nil {
		t.Fatal(err)
	}
	if r := (RawNeverOverwritten{}).Check(observe()); r.OK || !strings.Contains(strings.Join(r.Violations, "\n"), "1 STAGING keys written more than once; first: "+key+" (2 writes)") {
		t.Fatalf("an overwrite of a STAGING key: %v", r.Violations)
	}
}
