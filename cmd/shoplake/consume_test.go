package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/internal/rng"
	"github.com/shoplake/shoplake/pipeline"
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

// holdLeases makes owner hold every shard's lease in dir's lake, as a live
// consumer in another process would, with clk deciding the expiry.
func holdLeases(t *testing.T, dir, owner string, clk clock.Clock) {
	t.Helper()
	ctx := context.Background()
	cfg := config.DefaultConfig()
	cfg.DataDir = dir
	env, err := pipeline.Open(ctx, cfg, pipeline.Local{Clock: clk, PersistStreams: true})
	if err != nil {
		t.Fatal(err)
	}
	defer env.Close()
	if err := env.Lake.EnsureBucket(ctx); err != nil {
		t.Fatal(err)
	}
	cp := &stream.LakeCheckpointer{Store: env.Lake, Group: cfg.Kinesis.Group, Stream: cfg.Kinesis.Stream, Clock: clk}
	for _, sh := range []string{"shardId-000000000000", "shardId-000000000001"} {
		if _, err := cp.Acquire(ctx, sh, owner); err != nil {
			t.Fatal(err)
		}
	}
}

// executeConsume runs shoplake consume with clk as its clock.
func executeConsume(t *testing.T, ctx context.Context, clk clock.Clock, args ...string) (string, string, error) {
	t.Helper()
	var out, errw bytes.Buffer
	root := &cobra.Command{Use: "shoplake", SilenceUsage: true, SilenceErrors: true}
	root.AddCommand(newConsumeCmdOn(&globalFlags{}, clk))
	root.SetArgs(append([]string{"consume"}, args...))
	root.SetOut(&out)
	root.SetErr(&errw)
	err := root.ExecuteContext(ctx)
	return out.String(), errw.String(), err
}

// stopAfter is a simulated clock that cancels the command after n sleeps,
// as an interrupt would.
type stopAfter struct {
	*clock.Sim
	n      int
	cancel context.CancelFunc
}

func (s *stopAfter) Sleep(ctx context.Context, d time.Duration) error {
	if s.n--; s.n < 0 {
		s.cancel()
		return context.Canceled
	}
	return s.Sim.Sleep(ctx, d)
}

func TestConsumeCmd_LeaseHeld(t *testing.T) {
	dir := t.TempDir()
	fillStream(t, dir, 300)
	clk := clock.NewSim(clock.Real{}.Now())
	holdLeases(t, dir, "other-7", clk)
	until := clk.Now().Add(stream.DefaultLeaseDuration).Format(time.RFC3339)
	held := "0 of 2 shards leased: held by other-7 until " + until

	t.Run("ErrNoLease", func(t *testing.T) {
		out, stderr, err := executeConsume(t, context.Background(), clk, "--data-dir", dir, "--owner", "me")
		if err == nil {
			t.Fatalf("no error (exit 0) with every shard held by another consumer:\n%s%s", out, stderr)
		}
		if !errors.Is(err, stream.ErrLeaseHeld) {
			t.Errorf("err = %v, want stream.ErrLeaseHeld", err)
		}
		for _, want := range []string{held, "shoplake consume --data-dir " + dir + " --owner me --wait"} {
			if !strings.Contains(err.Error(), want) {
				t.Errorf("err = %v\nwant it to contain %q", err, want)
			}
		}
		if !strings.Contains(stderr, held) {
			t.Errorf("the pass line does not say who holds the shards:\n%s", stderr)
		}
	})
	t.Run("WaitBounded", func(t *testing.T) {
		_, stderr, err := executeConsume(t, context.Background(), clk, "--data-dir", dir, "--owner", "me", "--wait=20s")
		if err == nil || !strings.Contains(err.Error(), "waited 20s") || !strings.Contains(err.Error(), held) {
			t.Fatalf("err = %v, want it to give up after 20s, naming the holder", err)
		}
		if !strings.Contains(stderr, "waiting for a shard lease") {
			t.Errorf("no progress while waiting:\n%s", stderr)
		}
	})
	t.Run("FollowReportsButDoesNotFail", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		stop := &stopAfter{Sim: clk, n: 2, cancel: cancel}
		out, stderr, err := executeConsume(t, ctx, stop, "--data-dir", dir, "--owner", "me", "--follow", "--interval", "1s")
		if err != nil {
			t.Fatalf("--follow with every shard held: %v\n%s", err, stderr)
		}
		if got := strings.Count(stderr, held); got < 2 {
			t.Errorf("%d passes report the held shards, want every pass:\n%s", got, stderr)
		}
		if !strings.Contains(out, "records 0") {
			t.Errorf("summary:\n%s", out)
		}
	})
	t.Run("WaitTakesExpiredLease", func(t *testing.T) {
		out, stderr, err := executeConsume(t, context.Background(), clk, "--data-dir", dir, "--owner", "me", "--wait", "--json")
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		var rep consumeReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("--json output is not JSON: %v\n%s", err, out)
		}
		if rep.Totals.Valid != 300 || rep.Totals.Leased != 2 || rep.WaitedMS <= 0 {
			t.Fatalf("report = %+v, want 300 records read from 2 leased shards after a wait", rep)
		}
		if !strings.Contains(stderr, "waiting for a shard lease") || !strings.Contains(stderr, "2 of 2 shards leased") {
			t.Errorf("stderr:\n%s", stderr)
		}
		if clk.Now().Format(time.RFC3339) < until {
			t.Errorf("clock at %s: the lease was taken before it expired at %s", clk.Now(), until)
		}
	})
	t.Run("ErrWaitAsArgument", func(t *testing.T) {
		_, _, err := executeConsume(t, context.Background(), clk, "--data-dir", dir, "--wait", "5m")
		if err == nil || !strings.Contains(err.Error(), "--wait=5m") {
			t.Fatalf("err = %v, want a hint to write --wait=5m", err)
		}
	})
}

// consume in a directory with no data directory says what to run, and
// leaves nothing behind.
func TestConsumeCmd_NoDataDirectory(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	_, _, err := execute(t, "consume", "--data-dir", dir)
	if err == nil || !strings.Contains(err.Error(), "run shoplake setup") {
		t.Fatalf("consume without a data directory: %v", err)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("consume left %s behind (%v)", dir, err)
	}
}
