package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/lake/laketest"
	"github.com/shoplake/shoplake/metrics/lambdametrics"
	"github.com/shoplake/shoplake/stream"
)

// sampleEvent is testdata/kinesis-event.json: a KinesisEvent as Lambda
// delivers it (AWS's sample format, data base64-encoded), with two valid
// events, a duplicate of the first, one with an unknown event_type and a
// purchase, all of shard shardId-000000000006 of stream clickstream.
func sampleEvent(tb testing.TB) events.KinesisEvent {
	tb.Helper()
	b, err := os.ReadFile("testdata/kinesis-event.json")
	if err != nil {
		tb.Fatal(err)
	}
	var ev events.KinesisEvent
	if err := json.Unmarshal(b, &ev); err != nil {
		tb.Fatal(err)
	}
	return ev
}

// respond runs the handler the environment configures on ev and returns the
// JSON Lambda would send back.
func respond(tb testing.TB, environ []string, ev events.KinesisEvent) string {
	tb.Helper()
	h, err := newHandler(context.Background(), environ, slog.New(slog.DiscardHandler), io.Discard, time.Now)
	if err != nil {
		tb.Fatal(err)
	}
	resp, err := h.Handle(context.Background(), ev)
	if err != nil {
		tb.Fatal(err)
	}
	b, err := json.Marshal(resp)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

func TestHandler(t *testing.T) {
	ctx := context.Background()
	store, url := laketest.NewStoreInDir(t, t.TempDir())
	environ := []string{"SHOPLAKE_S3_ENDPOINT=" + url, "SHOPLAKE_S3_BUCKET=" + laketest.Bucket}

	t.Run("OK", func(t *testing.T) {
		if got, want := respond(t, environ, sampleEvent(t)), `{"batchItemFailures":[]}`; got != want {
			t.Fatalf("response %s, want %s", got, want)
		}
		raw, err := store.List(ctx, lake.RawEvents)
		if err != nil {
			t.Fatal(err)
		}
		const want = "raw/events/dt=2026-01-05/hr=10/clickstream-shardId-000000000006-49590338271490256608559692538361571095921575989136580000-49590338271490256608559692538361571095921575989136580004.ndjson.gz"
		if len(raw) != 1 || raw[0].Key != want {
			t.Fatalf("RAW objects %v, want %s", raw, want)
		}
		q, err := store.List(ctx, lake.QuarantinePrefix)
		if err != nil {
			t.Fatal(err)
		}
		if len(q) != 1 || !strings.HasPrefix(q[0].Key, "quarantine/events/dt=2026-01-05/clickstream-shardId-000000000006-") {
			t.Fatalf("QUARANTINE objects %v, want the batch's one", q)
		}
	})
	t.Run("RetryRewritesNothing", func(t *testing.T) {
		// Lambda delivers the same records again (a retry after a timeout):
		// the batch is cut at the same records and found written.
		if got, want := respond(t, environ, sampleEvent(t)), `{"batchItemFailures":[]}`; got != want {
			t.Fatalf("response %s, want %s", got, want)
		}
		raw, _ := store.List(ctx, lake.RawEvents)
		if len(raw) != 1 {
			t.Fatalf("%d RAW objects after a retry, want 1", len(raw))
		}
	})
	t.Run("PartialBatchFailure", func(t *testing.T) {
		// A lake that refuses writes (no such bucket): the response names the
		// first record of the batch, as AWS's partial batch response wants.
		bad := []string{"SHOPLAKE_S3_ENDPOINT=" + url, "SHOPLAKE_S3_BUCKET=no-such-bucket"}
		got := respond(t, bad, sampleEvent(t))
		want := `{"batchItemFailures":[{"itemIdentifier":"49590338271490256608559692538361571095921575989136580000"}]}`
		if got != want {
			t.Fatalf("response %s, want %s", got, want)
		}
	})
	t.Run("ErrConfig", func(t *testing.T) {
		if _, err := newHandler(ctx, []string{"SHOPLAKE_S3_BUCKET="}, slog.New(slog.DiscardHandler), io.Discard, time.Now); err == nil ||
			!strings.Contains(err.Error(), "SHOPLAKE_S3_ENDPOINT") || !strings.Contains(err.Error(), "s3.bucket is empty") {
			t.Fatalf("err = %v, want both problems named", err)
		}
	})
}

// TestHandler_EMF: after an invocation the function prints, on the writer
// it was given, EMF documents whose values are the invocation's
// statistics, in the namespace and at the time the alarms expect.
func TestHandler_EMF(t *testing.T) {
	ctx := context.Background()
	_, url := laketest.NewStoreInDir(t, t.TempDir())
	environ := []string{"SHOPLAKE_S3_ENDPOINT=" + url, "SHOPLAKE_S3_BUCKET=" + laketest.Bucket}
	ev := sampleEvent(t)
	// The function runs 90 s after the newest record arrived (Kinesis gives
	// arrivals to the millisecond, the JSON number as a float).
	newest := ev.Records[0].Kinesis.ApproximateArrivalTimestamp.Time
	for _, r := range ev.Records {
		if r.Kinesis.ApproximateArrivalTimestamp.After(newest) {
			newest = r.Kinesis.ApproximateArrivalTimestamp.Time
		}
	}
	now := newest.Round(time.Millisecond).Add(90 * time.Second)

	var out bytes.Buffer
	h, err := newHandler(ctx, environ, slog.New(slog.DiscardHandler), &out, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	var stats []stream.LambdaStats
	emit := h.OnStats
	h.OnStats = func(s stream.LambdaStats) { stats = append(stats, s); emit(s) }
	if _, err := h.Handle(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if len(stats) != 1 {
		t.Fatalf("%d invocations' stats, want 1", len(stats))
	}
	s := stats[0]
	if s.Records != len(ev.Records) || s.Invalid == 0 || s.Duplicates == 0 {
		t.Fatalf("stats %+v: the sample event should hold an invalid record and a duplicate", s)
	}

	// Every line an EMF document of namespace shoplake at now; the values
	// indexed by metric name and dimensions.
	type key struct{ name, dims string }
	got := map[key]float64{}
	for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
		var doc map[string]any
		if err := json.Unmarshal([]byte(line), &doc); err != nil {
			t.Fatalf("line %q: %v", line, err)
		}
		var meta struct {
			Timestamp         int64
			CloudWatchMetrics []struct {
				Namespace  string
				Dimensions [][]string
				Metrics    []struct{ Name, Unit string }
			}
		}
		b, _ := json.Marshal(doc["_aws"])
		if err := json.Unmarshal(b, &meta); err != nil || len(meta.CloudWatchMetrics) != 1 {
			t.Fatalf("line %s: _aws %s: %v", line, b, err)
		}
		d := meta.CloudWatchMetrics[0]
		if d.Namespace != lambdametrics.Namespace || meta.Timestamp != now.UnixMilli() || len(d.Dimensions) != 1 {
			t.Fatalf("line %s: want namespace %s, timestamp %d, one dimension set", line, lambdametrics.Namespace, now.UnixMilli())
		}
		var dims []string
		for _, k := range d.Dimensions[0] {
			dims = append(dims, k+"="+doc[k].(string))
		}
		for _, m := range d.Metrics {
			v, ok := doc[m.Name].(float64)
			if !ok {
				t.Fatalf("line %s: metric %s has no value", line, m.Name)
			}
			got[key{m.Name, strings.Join(dims, ",")}] = v
		}
	}
	const st = "stream=clickstream"
	want := map[key]float64{
		{"shoplake_consumer_records_read_total", st}:                                   float64(s.Records),
		{"shoplake_consumer_records_total", "outcome=raw," + st}:                       float64(s.Valid),
		{"shoplake_consumer_records_total", "outcome=quarantined," + st}:               float64(s.Invalid),
		{"shoplake_consumer_records_total", "outcome=duplicate," + st}:                 float64(s.Duplicates),
		{"shoplake_consumer_conflicting_records_total", st}:                            float64(s.Conflicts),
		{"shoplake_consumer_objects_total", "result=written," + st}:                    float64(s.Objects),
		{"shoplake_consumer_objects_total", "result=present," + st}:                    float64(s.Existing),
		{"shoplake_consumer_iterator_age_seconds", "shard=shardId-000000000006," + st}: 90,
	}
	for reason, n := range s.InvalidReasons {
		want[key{"shoplake_quarantined_records_total", "reason=" + reason + "," + st}] = float64(n)
	}
	for k, v := range want {
		if g, ok := got[k]; !ok || g != v {
			t.Errorf("%s{%s} = %v (present %t), want %v", k.name, k.dims, g, ok, v)
		}
		delete(got, k)
	}
	for k, v := range got {
		t.Errorf("%s{%s} = %v printed, not a statistic of the invocation", k.name, k.dims, v)
	}
}
