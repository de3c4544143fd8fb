package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/warehouse"
)

// conflictingProduct wraps the in-process FakeStore so that every
// /products list serves its first product twice, the copy at another
// price: two versions of one id, which the warehouse rejects.
func conflictingProduct(name string, h http.Handler) http.Handler {
	if name != "fakestore" {
		return h
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/products" {
			h.ServeHTTP(w, r)
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		var ps []map[string]any
		body := rec.Body.Bytes()
		if rec.Code == http.StatusOK && json.Unmarshal(body, &ps) == nil && len(ps) > 0 {
			c := maps.Clone(ps[0])
			c["price"] = c["price"].(float64) + 1
			body, _ = json.Marshal(append(ps, c))
		}
		for k, vs := range rec.Header() {
			if k != "Content-Length" {
				w.Header()[k] = vs
			}
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(body)
	})
}

// gzipNDJSON encodes recs as a RAW events object's body.
func gzipNDJSON(tb testing.TB, recs ...stream.RawRecord) []byte {
	tb.Helper()
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	enc := json.NewEncoder(zw)
	for _, r := range recs {
		if err := enc.Encode(r); err != nil {
			tb.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		tb.Fatal(err)
	}
	return b.Bytes()
}

// smallConfig is the configuration of a one-day world of 30 users in dir.
func smallConfig(tb testing.TB, dir string) config.Config {
	tb.Helper()
	cfg := config.DefaultConfig()
	cfg.DataDir, cfg.Seed, cfg.Sim.Days, cfg.Sim.Users = dir, 9, 1, 30
	if err := cfg.Validate(); err != nil {
		tb.Fatal(err)
	}
	return cfg
}

// TestDemo_Account runs the demo's pipeline with clients whose clocks run
// ahead, malformed and oversized records, resent events, and a FakeStore
// that serves two versions of a product: the summary reads every count
// where the data is, shows each place a record went, and the balance
// holds. Then records nobody sent appear in RAW (another writer: a new
// event and another version of one in CORE): the summary says the account
// does not balance, by how much.
func TestDemo_Account(t *testing.T) {
	ctx := context.Background()
	cfg := smallConfig(t, t.TempDir())
	r, err := pipeline.NewRunnerWith(ctx, cfg, pipeline.Options{
		KeepEvents: true,
		Anomalies: sim.AnomalyConfig{
			FutureClockRate: 0.05, FutureSkew: sim.DelayDist{Kind: sim.DelayFixed, Mean: 3 * time.Hour},
			MalformedRate: 0.05, MalformedKinds: []sim.MalformedKind{sim.MalformedInvalidJSON, sim.MalformedOversized},
			DuplicateRate: 0.05,
		},
		Wrap: conflictingProduct,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, err := r.Run(ctx, nil); err != nil {
		t.Fatal(err)
	}
	summary := func(t *testing.T) (demoResult, string) {
		t.Helper()
		res, err := collect(ctx, r)
		if err != nil {
			t.Fatal(err)
		}
		var out bytes.Buffer
		printDemo(&out, res)
		s := out.String()
		return res, s[strings.Index(s, "EVENTS THROUGH THE PIPELINE"):strings.Index(s, "TABLE HASHES")]
	}

	t.Run("Balances", func(t *testing.T) {
		res, out := summary(t)
		a, an, tot := res.Account, r.Anomalies(), r.Totals()
		e := a.Warehouse.Events
		if an.Future == 0 || an.MalformedByKind[sim.MalformedOversized] == 0 || an.MalformedByKind[sim.MalformedInvalidJSON] == 0 || an.Duplicates == 0 {
			t.Fatalf("the fleet did not misbehave enough to test anything: %+v", an)
		}
		for _, c := range []struct {
			name      string
			got, want int64
		}{
			{"RAW records read from the lake", int64(a.Raw.Records), int64(tot.InRaw)},
			{"QUARANTINE records read from the lake", int64(a.StreamQuarantine.Records), int64(an.MalformedByKind[sim.MalformedInvalidJSON])},
			{"refused by the producer", a.Balance.Refused, int64(an.MalformedByKind[sim.MalformedOversized])},
			{"rejected product rows", warehouse.Of(a.Warehouse.Rejected, "products"), 2},
			{"quarantined at load: all clocks ahead", warehouse.Of(e.QuarantinedBy, warehouse.KindClockAhead), e.Quarantined},
			{"in CORE", e.InCore, res.InCore},
		} {
			if c.got != c.want {
				t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
			}
		}
		if e.Quarantined < int64(an.Future) {
			t.Errorf("quarantined at load %d, fewer than the %d events from clocks ahead", e.Quarantined, an.Future)
		}
		if !a.Balance.OK() {
			t.Errorf("the balance does not hold: %s\n%s", a.Balance, a.Balance.Terms())
		}
		for _, want := range []string{
			fmt.Sprintf("refused by the producer %d", tot.Rejected),
			fmt.Sprintf("in RAW %d records in %d objects (read from the lake)", a.Raw.Records, a.Raw.Objects),
			fmt.Sprintf("QUARANTINE at the stream %d records", a.StreamQuarantine.Records),
			fmt.Sprintf("quarantined at load %d (clock ahead %d)", e.Quarantined, e.Quarantined),
			"rejected 2 (products 2) in meta.rejected_rows",
			fmt.Sprintf("balance: sent %d = stored %d + quarantined %d + rejected %d + exact duplicates %d: balances",
				tot.Sent, a.Balance.Stored(), a.Balance.Quarantined(), tot.Rejected, a.Balance.ExactDuplicates()),
			fmt.Sprintf("dropped by the consumer %d + removed in the warehouse %d", tot.Duplicates, e.ExactDuplicates),
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the summary lacks %q:\n%s", want, out)
			}
		}
		b, err := json.Marshal(res)
		if err != nil {
			t.Fatal(err)
		}
		for _, key := range []string{`"accounting":{"raw_events":{`, `"balance":{"sent":`, `"quarantined_at_load":`, `"rejected_rows":[{"name":"products","n":2}]`} {
			if !bytes.Contains(b, []byte(key)) {
				t.Errorf("--json lacks %s", key)
			}
		}
	})

	t.Run("DoesNotBalance", func(t *testing.T) {
		var id string
		if err := r.Warehouse().DB().QueryRowContext(ctx, "SELECT min(event_id) FROM core.events").Scan(&id); err != nil {
			t.Fatal(err)
		}
		var inCore stream.Event
		for _, ev := range r.World.Events {
			if ev.EventID == id {
				inCore = ev
			}
		}
		end := r.World.Config.End()
		other := inCore
		other.AnonymousID = "another-client"
		fresh := r.World.Events[0]
		fresh.EventID = "not-sent-by-the-fleet"
		key, err := lake.RawEventsKey(end.Add(time.Hour), cfg.Kinesis.Stream, "shardId-000000000009", "900", "901")
		if err != nil {
			t.Fatal(err)
		}
		body := gzipNDJSON(t,
			stream.RawRecord{Event: fresh, IngestionTime: end.Add(time.Hour), ShardID: "shardId-000000000009", SequenceNumber: "900"},
			stream.RawRecord{Event: other, IngestionTime: end.Add(time.Hour), ShardID: "shardId-000000000009", SequenceNumber: "901"})
		if err := r.Env.Lake.PutIfAbsent(ctx, key, body); err != nil {
			t.Fatal(err)
		}
		if _, _, err := r.Build(ctx, warehouse.TransformOptions{AsOf: end}); err != nil {
			t.Fatal(err)
		}
		res, out := summary(t)
		if res.Account.Balance.OK() {
			t.Fatalf("the balance holds with two records nobody sent: %s", res.Account.Balance)
		}
		for _, want := range []string{
			"does not balance: 2 records more than were sent",
			"1 conflicting events, 1 versions superseded",
			// Read from the lake: the consumer never saw these two.
			fmt.Sprintf("in RAW %d records", r.Totals().InRaw+2),
		} {
			if !strings.Contains(out, want) {
				t.Errorf("the summary lacks %q:\n%s", want, out)
			}
		}
	})
}

// TestTransformAndCheckCmd_KeptOut: after a demo, RAW gets an event from a
// clock ahead, another version of an event in CORE and an object that is
// not the gzip its key says, and the ingestion ledger a products snapshot
// with two versions of one product. transform shows what its run kept out
// of CORE (not "0 records quarantined" alone), and check shows it too,
// read-only.
func TestTransformAndCheckCmd_KeptOut(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	world := []string{"--seed", "9", "--days", "1", "--users", "30", "--data-dir", dir}
	if _, stderr, err := execute(t, append([]string{"demo"}, world...)...); err != nil {
		t.Fatalf("demo: %v\n%s", err, stderr)
	}
	cfg := smallConfig(t, dir)
	start, err := cfg.StartDate()
	if err != nil {
		t.Fatal(err)
	}
	next := start.AddDate(0, 0, cfg.Sim.Days)

	// RAW: what a client and another writer add.
	env, err := pipeline.Open(ctx, cfg, pipeline.Local{Clock: clock.NewSim(next)})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	wh, err := warehouse.Open(ctx, filepath.Join(dir, "warehouse.duckdb"), warehouse.Options{})
	if err != nil {
		t.Fatal(err)
	}
	wcfg, err := pipeline.WorldConfig(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w, err := sim.NewWorld(wcfg)
	if err != nil {
		t.Fatal(err)
	}
	ev := w.Events[0] // in CORE: the demo's fleet sends every event as it is
	arrival := next.Add(time.Hour)
	ahead := ev
	ahead.EventID, ahead.EventTime = "clock-ahead", arrival.Add(3*time.Hour)
	other := ev
	other.AnonymousID = "another-client"
	key, _ := lake.RawEventsKey(arrival, cfg.Kinesis.Stream, "shardId-000000000009", "900", "901")
	put := func(key string, body []byte) {
		t.Helper()
		if err := env.Lake.PutIfAbsent(ctx, key, body); err != nil {
			t.Fatal(err)
		}
	}
	put(key, gzipNDJSON(t,
		stream.RawRecord{Event: ahead, IngestionTime: arrival, ShardID: "shardId-000000000009", SequenceNumber: "900"},
		stream.RawRecord{Event: other, IngestionTime: arrival, ShardID: "shardId-000000000009", SequenceNumber: "901"}))
	notGzip, _ := lake.RawEventsKey(arrival, cfg.Kinesis.Stream, "shardId-000000000009", "902", "902")
	put(notGzip, []byte("{\"event_id\":\"x\"}\n"))

	// The ledger: the next date's products, one served twice at two prices.
	infos, err := env.Lake.List(ctx, lake.RawFakestore+"products/")
	if err != nil || len(infos) == 0 {
		t.Fatalf("products snapshots: %v, %v", infos, err)
	}
	snap, err := env.Lake.Get(ctx, infos[len(infos)-1].Key)
	if err != nil {
		t.Fatal(err)
	}
	var ps []map[string]any
	if err := json.Unmarshal(snap, &ps); err != nil {
		t.Fatal(err)
	}
	c := maps.Clone(ps[0])
	c["price"] = c["price"].(float64) + 1
	body, _ := json.Marshal(append(ps, c))
	digest := sha256.Sum256(body)
	sum := hex.EncodeToString(digest[:])
	pkey, err := lake.RawFakestoreKey("products", next, sum)
	if err != nil {
		t.Fatal(err)
	}
	put(pkey, body)
	l := wh.IngestLedger()
	run, err := l.BeginRun(ctx, next, arrival)
	if err != nil {
		t.Fatal(err)
	}
	obj := ingest.Object{Entity: "products", Key: pkey, SHA256: sum, Rows: len(ps) + 1, Bytes: len(body), Written: true, DuplicateIDs: 1}
	if err := l.FinishRun(ctx, ingest.RunRecord{Run: run, Status: ingest.StatusCommitted, FinishedAt: arrival, Objects: []ingest.Object{obj}}); err != nil {
		t.Fatal(err)
	}
	wh.Close()

	t.Run("Transform", func(t *testing.T) {
		out, stderr, err := execute(t, append([]string{"transform"}, world...)...)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		for _, want := range []string{
			"1 records quarantined",
			"quarantined at load 1 (clock ahead 1) events and 0 source rows; 1 events with conflicting versions (meta.event_conflicts)",
			"rejected rows: 2 (products 2), this run's (meta.rejected_rows)",
			"load: 1 RAW objects quarantined",
		} {
			if !strings.Contains(out, want) {
				t.Errorf("transform output lacks %q:\n%s", want, out)
			}
		}
		// A second run loads nothing: its own rows kept nothing out, the
		// rejected rows are still there (rebuilt by every run).
		out, stderr, err = execute(t, append([]string{"transform", "--json"}, world...)...)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		var rep transformReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		if a := rep.Accounting; a == nil || a.QuarantinedEvents() != 0 || a.ConflictingEvents != 0 || a.RejectedRows() != 2 {
			t.Fatalf("the second run's accounting: %+v", rep.Accounting)
		}
	})
	t.Run("Check", func(t *testing.T) {
		out, stderr, err := execute(t, "check", "--data-dir", dir)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		want := "kept out of CORE: quarantined at load 1 (clock ahead 1) events and 0 source rows; 1 events with conflicting versions (1 superseded); " +
			"rejected rows 2 (products 2); RAW objects set aside 1"
		if !strings.Contains(out, want) {
			t.Errorf("check output lacks %q:\n%s", want, out)
		}
		out, _, err = execute(t, "check", "--data-dir", dir, "--json")
		if err != nil {
			t.Fatal(err)
		}
		var rep checkReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatal(err)
		}
		if a := rep.Accounting; rep.Status != "promoted" || a == nil || a.Events.Quarantined != 1 || a.Events.Conflicting != 1 ||
			a.RejectedRows() != 2 || a.QuarantinedObjects != 1 {
			t.Fatalf("check --json: %+v", rep)
		}
	})
}
