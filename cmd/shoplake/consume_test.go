package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/internal/rng"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/stream/kinesislocal"
)

// fillStream creates the default stream under dir/kinesis (as a local
// Kinesis server keeps it) and puts n events on it, then stops the server.
func fillStream(t *testing.T, dir string, n int) {
	t.Helper()
	ctx := context.Background()
	// consume serves the stream on the wall clock, which trims records past
	// the 24 hours of retention: the records must be recent.
	clk := clock.NewSim(clock.Real{}.Now())
	srv, err := kinesislocal.Open(filepath.Join(dir, "kinesis"), clk)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	defer func() { ts.Close(); _ = srv.Close() }()
	awsCfg, err := config.DefaultConfig().AWSConfig(ctx)
	if err != nil {
		t.Fatal(err)
	}
	client := stream.NewKinesisClient(awsCfg, ts.URL)
	def := config.DefaultConfig().Kinesis
	if _, err := stream.EnsureStream(ctx, client, clk, def.Stream, 2); err != nil {
		t.Fatal(err)
	}
	r := rng.New(3, "consume-test")
	events := make([]stream.Event, n)
	for i := range events {
		pid := int64(i%20 + 1)
		events[i] = stream.Event{EventID: rng.UUID(r), EventType: stream.ProductView, EventTime: clk.Now().Add(-time.Minute),
			SessionID: rng.UUID(r), AnonymousID: "dev", ProductID: &pid, SchemaVersion: stream.SchemaVersion}
	}
	if st, err := (&stream.Producer{Client: client, Stream: def.Stream, Clock: clk}).Put(ctx, events); err != nil || st.Acknowledged != n {
		t.Fatalf("put: %v (%d acknowledged)", err, st.Acknowledged)
	}
}

func TestConsumeCmd(t *testing.T) {
	dir := t.TempDir()
	fillStream(t, dir, 700)
	t.Run("JSON", func(t *testing.T) {
		out, stderr, err := execute(t, "consume", "--data-dir", dir, "--owner", "test", "--json")
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		var rep consumeReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("--json output is not JSON: %v\n%s", err, out)
		}
		if rep.Passes != 1 || rep.Totals.Valid != 700 || rep.Totals.Leased != 2 || len(rep.Shards) != 2 {
			t.Fatalf("report = %+v", rep)
		}
		for _, s := range rep.Shards {
			if s.Checkpoint == "" || s.Owner != "" {
				t.Errorf("shard %+v: want a checkpoint and a released lease", s)
			}
		}
		if !strings.Contains(stderr, "pass 1: 700 records: 700 to RAW") {
			t.Errorf("no progress line on stderr:\n%s", stderr)
		}
		raw, _ := filepath.Glob(filepath.Join(dir, "lake", "buckets", "shoplake", "raw", "events", "dt=*", "hr=*", "*.ndjson.gz"))
		if len(raw) == 0 {
			t.Fatal("no RAW object on disk")
		}
	})
	t.Run("SecondRunReadsNothing", func(t *testing.T) {
		out, stderr, err := execute(t, "consume", "--data-dir", dir, "--owner", "test")
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		if !strings.Contains(out, "records 0: 0 to RAW") || !strings.Contains(out, "shardId-000000000001") {
			t.Fatalf("summary:\n%s", out)
		}
	})
	t.Run("ErrNoStream", func(t *testing.T) {
		other := t.TempDir()
		if err := os.MkdirAll(filepath.Join(other, "kinesis"), 0o755); err != nil {
			t.Fatal(err)
		}
		_, _, err := execute(t, "consume", "--data-dir", other)
		if err == nil || !strings.Contains(err.Error(), "does not exist") {
			t.Fatalf("err = %v, want the missing stream named", err)
		}
	})
}
