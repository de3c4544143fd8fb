package main

import (
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/lake/laketest"
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
	h, err := newHandler(context.Background(), environ, slog.New(slog.DiscardHandler))
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
		if _, err := newHandler(ctx, []string{"SHOPLAKE_S3_BUCKET="}, slog.New(slog.DiscardHandler)); err == nil ||
			!strings.Contains(err.Error(), "SHOPLAKE_S3_ENDPOINT") || !strings.Contains(err.Error(), "s3.bucket is empty") {
			t.Fatalf("err = %v, want both problems named", err)
		}
	})
}
