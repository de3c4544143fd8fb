package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/stream/kinesislocal"
)

// createLocalStream runs shoplake setup on dir, which creates the stream
// where produce and consume find it in mode local: under dir/kinesis.
func createLocalStream(t *testing.T, dir string) {
	t.Helper()
	if _, stderr, err := execute(t, "setup", "--data-dir", dir); err != nil {
		t.Fatalf("setup: %v\n%s", err, stderr)
	}
}

// produceJSON runs produce with --json and decodes its account, which it
// prints whether the run fails or not.
func produceJSON(t *testing.T, in string, args ...string) (produceAccount, string, error) {
	t.Helper()
	var out, errw bytes.Buffer
	root := newRootCmd()
	root.SetArgs(append(append([]string{"produce"}, args...), "--json"))
	root.SetIn(strings.NewReader(in))
	root.SetOut(&out)
	root.SetErr(&errw)
	err := root.Execute()
	var acct produceAccount
	if jerr := json.Unmarshal(out.Bytes(), &acct); jerr != nil {
		t.Fatalf("--json output is not JSON (err %v): %v\n%s\n%s", err, jerr, out.String(), errw.String())
	}
	return acct, errw.String(), err
}

func consumeRecords(t *testing.T, dir string) stream.ConsumeStats {
	t.Helper()
	out, stderr, err := execute(t, "consume", "--data-dir", dir, "--owner", "test", "--json")
	if err != nil {
		t.Fatalf("consume: %v\n%s", err, stderr)
	}
	var rep consumeReport
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("consume --json output is not JSON: %v\n%s", err, out)
	}
	return rep.Totals
}

func TestProduceCmd(t *testing.T) {
	t.Run("Simulated", func(t *testing.T) {
		dir := t.TempDir()
		createLocalStream(t, dir)
		world := []string{"--seed", "7", "--days", "1", "--users", "25", "--duplicates", "0.05", "--late", "0.05", "--out-of-order", "0.05"}
		events, stderr, err := execute(t, append([]string{"sim", "events"}, world...)...)
		if err != nil {
			t.Fatalf("sim events: %v\n%s", err, stderr)
		}
		want := strings.Count(events, "\n")
		if want == 0 {
			t.Fatal("sim events printed nothing")
		}
		acct, stderr, err := produceJSON(t, "", append(world, "--data-dir", dir)...)
		if err != nil {
			t.Fatalf("produce: %v\n%s", err, stderr)
		}
		if acct.Records != want || acct.Sent != want || acct.Acknowledged != want || acct.Refused != 0 || acct.Unsent != 0 || acct.Error != "" {
			t.Fatalf("account = %+v, want %d records sent and acknowledged", acct, want)
		}
		if !strings.Contains(stderr, "anomalies: ") {
			t.Errorf("no anomaly summary on stderr:\n%s", stderr)
		}
		if got := consumeRecords(t, dir); got.Records != want {
			t.Fatalf("consume read %d records, want %d: %+v", got.Records, want, got)
		}
	})

	t.Run("Text", func(t *testing.T) {
		dir := t.TempDir()
		createLocalStream(t, dir)
		out, stderr, err := execute(t, "produce", "--seed", "3", "--days", "1", "--users", "5", "--data-dir", dir)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		for _, want := range []string{"stream clickstream (", "source simulator (seed 3", " acknowledged, 0 refused", "events/s"} {
			if !strings.Contains(out, want) {
				t.Errorf("account lacks %q:\n%s", want, out)
			}
		}
	})

	t.Run("NDJSON", func(t *testing.T) {
		dir := t.TempDir()
		createLocalStream(t, dir)
		events, stderr, err := execute(t, "sim", "events", "--seed", "4", "--days", "1", "--users", "5")
		if err != nil {
			t.Fatalf("sim events: %v\n%s", err, stderr)
		}
		lines := strings.Split(strings.TrimSuffix(events, "\n"), "\n")[:3]
		oversize := `{"event_id":"big","session_id":"s","pad":"` + strings.Repeat("x", stream.MaxRecordBytes) + `"}`
		input := strings.Join([]string{lines[0], `{"event_id": "broken",`, "", lines[1], oversize, lines[2] + "\r"}, "\n") + "\n"
		file := filepath.Join(t.TempDir(), "in.ndjson")
		if err := os.WriteFile(file, []byte(input), 0o644); err != nil {
			t.Fatal(err)
		}
		acct, _, err := produceJSON(t, "", "--input", file, "--data-dir", dir)
		if err == nil || !strings.Contains(err.Error(), "1 of 5 records refused (1 over 1 MiB)") {
			t.Fatalf("err = %v, want the refused record counted with its reason", err)
		}
		if acct.Records != 5 || acct.BlankLines != 1 || acct.Acknowledged != 4 || acct.Refused != 1 ||
			acct.RefusedReasons[stream.RejectOverMaxRecord] != 1 || acct.Error == "" {
			t.Fatalf("account = %+v", acct)
		}
		got := consumeRecords(t, dir)
		if got.Records != 4 || got.Valid != 3 || got.Invalid != 1 {
			t.Fatalf("consume = %+v, want 3 events to RAW and the malformed line quarantined", got)
		}
	})

	t.Run("Stdin", func(t *testing.T) {
		dir := t.TempDir()
		createLocalStream(t, dir)
		acct, stderr, err := produceJSON(t, "not json\n{\"session_id\":\"abc\"}\n", "--input", "-", "--data-dir", dir)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		if acct.Source != "stdin" || acct.Acknowledged != 2 {
			t.Fatalf("account = %+v", acct)
		}
	})

	t.Run("ErrNoStream", func(t *testing.T) {
		dir := t.TempDir()
		_, _, err := execute(t, "produce", "--users", "5", "--days", "1", "--data-dir", dir)
		if err == nil || !strings.Contains(err.Error(), "stream clickstream does not exist at ") ||
			!strings.HasSuffix(err.Error(), ": run shoplake setup") {
			t.Fatalf("err = %v, want the missing stream named and setup suggested", err)
		}
	})

	t.Run("ErrFlags", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			want string
		}{
			{[]string{"--rate", "10", "--speed", "2"}, "--rate and --speed"},
			{[]string{"--rate", "0"}, "--rate 0: want a positive"},
			{[]string{"--speed", "-1"}, "--speed -1: want a positive"},
			{[]string{"--input", "-", "--seed", "3", "--late", "0.1"}, "--late, --seed: they shape the simulated clickstream"},
		} {
			_, _, err := execute(t, append([]string{"produce", "--data-dir", t.TempDir()}, tc.args...)...)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("produce %v: err = %v, want %q", tc.args, err, tc.want)
			}
		}
	})
}

// pacedRecords returns n records whose pacing times are start + gaps[i].
func pacedRecords(start time.Time, gaps []time.Duration) func(func(outRecord) bool) error {
	return func(yield func(outRecord) bool) error {
		for i, g := range gaps {
			r := outRecord{rec: stream.Record{Data: []byte(fmt.Sprintf(`{"n":%d}`, i)), PartitionKey: fmt.Sprint(i)}, at: start.Add(g)}
			if !yield(r) {
				return nil
			}
		}
		return nil
	}
}

// simProducer returns a producer on an in-memory Kinesis server that runs
// on clk, with its stream created.
func simProducer(t *testing.T, clk clock.Clock) *stream.Producer {
	t.Helper()
	ts := httptest.NewServer(kinesislocal.New(clk))
	t.Cleanup(ts.Close)
	awsCfg, err := config.DefaultConfig().AWSConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	client := stream.NewKinesisClient(awsCfg, ts.URL)
	if _, err := stream.EnsureStream(context.Background(), client, clk, "paced", 1); err != nil {
		t.Fatal(err)
	}
	return &stream.Producer{Client: client, Stream: "paced", Clock: clk}
}

func TestProduce_Pacing(t *testing.T) {
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	ctx := context.Background()
	t.Run("Rate", func(t *testing.T) {
		for _, tc := range []struct {
			n    int
			rate float64
		}{{1000, 250}, {7, 3}, {1, 0.5}} {
			clk := clock.NewSim(start)
			p := simProducer(t, clk)
			began := clk.Now()
			tot, err := produce(ctx, clk, p, pacedRecords(time.Time{}, make([]time.Duration, tc.n)), &ratePacer{rate: tc.rate}, func(produceTotals) {})
			if err != nil {
				t.Fatal(err)
			}
			if got, want := tot.Put.Acknowledged, tc.n; got != want {
				t.Fatalf("acknowledged %d, want %d", got, want)
			}
			if got, want := clk.Now().Sub(began), time.Duration(float64(tc.n)/tc.rate*float64(time.Second)); got != want {
				t.Errorf("%d records at %g/s took %s, want %s", tc.n, tc.rate, got, want)
			}
		}
	})
	t.Run("Speed", func(t *testing.T) {
		gaps := []time.Duration{0, 10 * time.Second, 70 * time.Second, 30 * time.Second, 100 * time.Second}
		pc := &speedPacer{speed: 10}
		clk := clock.NewSim(start)
		var got []time.Duration
		for _, g := range gaps {
			due := pc.due(clk.Now(), start.Add(-time.Hour).Add(g))
			if err := clk.Sleep(ctx, due.Sub(clk.Now())); err != nil {
				t.Fatal(err)
			}
			got = append(got, clk.Now().Sub(start))
		}
		// The gaps divided by 10; the record earlier than the one before it
		// goes at once.
		want := []time.Duration{0, time.Second, 7 * time.Second, 7 * time.Second, 10 * time.Second}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("sent at %v, want %v", got, want)
		}
		// Through produce: the whole replay takes the last gap / speed.
		clk = clock.NewSim(start)
		p := simProducer(t, clk)
		tot, err := produce(ctx, clk, p, pacedRecords(start.Add(-48*time.Hour), gaps), &speedPacer{speed: 10}, func(produceTotals) {})
		if err != nil {
			t.Fatal(err)
		}
		if tot.Put.Acknowledged != len(gaps) || clk.Now().Sub(start) != 10*time.Second {
			t.Fatalf("acknowledged %d in %s, want %d in 10s", tot.Put.Acknowledged, clk.Now().Sub(start), len(gaps))
		}
	})
	t.Run("None", func(t *testing.T) {
		clk := clock.NewSim(start)
		p := simProducer(t, clk)
		tot, err := produce(ctx, clk, p, pacedRecords(start, make([]time.Duration, 1200)), noPacer{}, func(produceTotals) {})
		if err != nil {
			t.Fatal(err)
		}
		if tot.Put.Acknowledged != 1200 || tot.Put.Calls != 3 || clk.Now() != start {
			t.Fatalf("stats %+v after %s, want 1200 records in 3 calls at once", tot.Put, clk.Now().Sub(start))
		}
	})
}

func TestProduce_LineKey(t *testing.T) {
	for _, tc := range []struct {
		line    string
		key     string // "" for a hash
		hasTime bool
	}{
		{`{"session_id":"s-1","event_time":"2026-01-02T03:04:05Z"}`, "s-1", true},
		{`{"session_id":12,"event_time":1767225600000}`, "", false},
		{`{"session_id":"","event_time":"yesterday"}`, "", false},
		{`{"session_id":"` + strings.Repeat("k", 257) + `"}`, "", false},
		{`{"session_id":"s-2",`, "", false},
	} {
		key, at := lineKey([]byte(tc.line))
		if tc.key != "" && key != tc.key || tc.key == "" && len(key) != 32 {
			t.Errorf("lineKey(%.40s) key = %q, want %q (or a 32-digit hash)", tc.line, key, tc.key)
		}
		if at.IsZero() == tc.hasTime {
			t.Errorf("lineKey(%.40s) event time = %v, want one: %v", tc.line, at, tc.hasTime)
		}
	}
}

// TestStreamCmds_JitterSeed: produce and consume draw the jitter of their
// backoff from a seed of their own per process, reported, unless
// --jitter-seed fixes it (stream.Backoff.Jitter; the waits themselves are
// tested in stream).
func TestStreamCmds_JitterSeed(t *testing.T) {
	dir := t.TempDir()
	createLocalStream(t, dir)
	in := "{\"session_id\":\"abc\"}\n"
	a, stderr, err := produceJSON(t, in, "--input", "-", "--data-dir", dir, "-v")
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr)
	}
	if want := fmt.Sprintf("retry jitter seed %d", a.JitterSeed); !strings.Contains(stderr, want) {
		t.Errorf("produce -v does not log %q:\n%s", want, stderr)
	}
	b, _, err := produceJSON(t, in, "--input", "-", "--data-dir", dir)
	if err != nil {
		t.Fatal(err)
	}
	if a.JitterSeed == b.JitterSeed {
		t.Errorf("two produce runs drew jitter seed %d", a.JitterSeed)
	}
	if c, _, err := produceJSON(t, in, "--input", "-", "--data-dir", dir, "--jitter-seed", "77"); err != nil || c.JitterSeed != 77 {
		t.Errorf("produce --jitter-seed 77: jitter seed %d (%v)", c.JitterSeed, err)
	}
	seeds := map[uint64]bool{}
	for _, args := range [][]string{nil, nil, {"--jitter-seed", "77"}} {
		out, stderr, err := execute(t, append([]string{"consume", "--data-dir", dir, "--json", "-v"}, args...)...)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		var rep consumeReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("--json output is not JSON: %v\n%s", err, out)
		}
		if want := fmt.Sprintf("retry jitter seed %d", rep.JitterSeed); !strings.Contains(stderr, want) {
			t.Errorf("consume -v does not log %q:\n%s", want, stderr)
		}
		seeds[rep.JitterSeed] = true
	}
	if len(seeds) != 3 || !seeds[77] {
		t.Errorf("consume jitter seeds %v, want two drawn and 77", seeds)
	}
}

// A share flag out of 0..1 is refused in the flag's words before anything
// runs, not with the Go field's name.
func TestShareFlags_RefusedInTheFlagsWords(t *testing.T) {
	for _, args := range [][]string{
		{"produce", "--duplicates", "2"},
		{"sim", "events", "--late", "abc"},
		{"demo", "--hostile", "-0.1"},
	} {
		_, _, err := execute(t, args...)
		if err == nil {
			t.Errorf("%v: no error", args)
			continue
		}
		if want := `for "` + args[len(args)-2] + `" flag: want a share between 0 and 1`; !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "Rate") {
			t.Errorf("%v: %v, want %q", args, err, want)
		}
	}
}
