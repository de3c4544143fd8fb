package stream_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"

	"github.com/shoplake/shoplake/lake/laketest"
	"github.com/shoplake/shoplake/stream"
)

// kinesisEvent wraps events as Lambda delivers them from shard of stream
// clicks, one millisecond apart.
func kinesisEvent(tb testing.TB, shard string, evs []stream.Event) events.KinesisEvent {
	tb.Helper()
	var out events.KinesisEvent
	for i := range evs {
		data, err := json.Marshal(evs[i])
		if err != nil {
			tb.Fatal(err)
		}
		seq := fmt.Sprintf("4%055d", 1000+i)
		out.Records = append(out.Records, events.KinesisEventRecord{
			EventID: shard + ":" + seq, EventSource: "aws:kinesis", EventName: "aws:kinesis:record",
			EventSourceArn: "arn:aws:kinesis:us-east-1:123456789012:stream/clicks", AwsRegion: "us-east-1",
			Kinesis: events.KinesisRecord{
				SequenceNumber: seq, PartitionKey: evs[i].SessionID, Data: data, KinesisSchemaVersion: "1.0",
				ApproximateArrivalTimestamp: events.SecondsEpochTime{Time: t0.Add(time.Duration(i) * time.Millisecond)},
			},
		})
	}
	return out
}

func TestLambdaHandler_Handle(t *testing.T) {
	ctx := context.Background()
	store := laketest.NewStore(t)
	evs := makeEvents(80, 250)
	ev := kinesisEvent(t, "shardId-000000000001", evs)

	// The lake fails after the first of three batches.
	h := &stream.LambdaHandler{Store: &failingStore{Store: store, allow: 1}, BatchRecords: 100}
	resp, err := h.Handle(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 1 || resp.BatchItemFailures[0].ItemIdentifier != ev.Records[100].Kinesis.SequenceNumber {
		t.Fatalf("failures %+v, want the first record of the second batch, %s", resp.BatchItemFailures, ev.Records[100].Kinesis.SequenceNumber)
	}
	// Lambda retries from the reported record, in a new execution
	// environment, with the lake back.
	retry := events.KinesisEvent{Records: ev.Records[100:]}
	h2 := &stream.LambdaHandler{Store: store, BatchRecords: 100}
	resp, err = h2.Handle(ctx, retry)
	if err != nil {
		t.Fatal(err)
	}
	if len(resp.BatchItemFailures) != 0 {
		t.Fatalf("failures on retry: %+v", resp.BatchItemFailures)
	}
	assertExactlyOnce(t, store, evs)
	// The whole event delivered again (a retry after a timeout) finds every
	// batch written.
	if _, err := h2.Handle(ctx, ev); err != nil {
		t.Fatal(err)
	}
	if got := len(rawRecords(t, store)); got != 3 {
		t.Fatalf("%d RAW objects after a redelivery, want 3", got)
	}
	assertExactlyOnce(t, store, evs)
}

// TestLambdaHandler_ConflictingDuplicate: the Lambda handler applies the
// consumer's dedup: an exact copy is dropped, a conflicting one is kept.
func TestLambdaHandler_ConflictingDuplicate(t *testing.T) {
	ctx := context.Background()
	store := laketest.NewStore(t)
	evs := makeEvents(32, 3)
	changed := evs[2]
	changed.EventTime = changed.EventTime.Add(time.Hour)
	h := &stream.LambdaHandler{Store: store, BatchRecords: 2}
	if _, err := h.Handle(ctx, kinesisEvent(t, "shardId-000000000001", append(evs, evs[0], changed))); err != nil {
		t.Fatal(err)
	}
	n := map[string]int{}
	for _, recs := range rawRecords(t, store) {
		for _, r := range recs {
			n[r.EventID]++
		}
	}
	if got, want := [2]int{n[evs[0].EventID], n[evs[2].EventID]}, [2]int{1, 2}; got != want {
		t.Fatalf("RAW copies of the exact and the conflicting duplicate = %v, want %v", got, want)
	}
}
