package stream_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/lake/laketest"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/stream/kinesislocal"
)

func TestProducer_Put(t *testing.T) {
	ctx := context.Background()
	t.Run("ThrottlingRiddenOut", func(t *testing.T) {
		// AWS's quotas enforced on the stream's clock, which the producer's
		// backoff advances: 6,000 events on 2 shards need about 2 s of quota
		// beyond the first second's burst.
		client, clk := newKinesisWith(t, 2, kinesislocal.WithShardLimits(kinesislocal.AWSShardLimits()))
		events := makeEvents(70, 6000)
		start := clk.Now()
		st, err := (&stream.Producer{Client: client, Stream: "clicks", Clock: clk}).Put(ctx, events)
		if err != nil {
			t.Fatal(err)
		}
		if st.Acknowledged != len(events) || st.Failed != 0 {
			t.Fatalf("acknowledged %d, failed %d, want %d and 0", st.Acknowledged, st.Failed, len(events))
		}
		if st.Throttled == 0 || st.Retried == 0 {
			t.Fatalf("nothing was throttled: %+v", st)
		}
		elapsed := clk.Now().Sub(start)
		if elapsed != st.Waited || elapsed < 1500*time.Millisecond {
			t.Fatalf("the clock moved %s, the producer waited %s: want the waits, at least 1.5 s", elapsed, st.Waited)
		}
		// Every acknowledged event is in the stream, once.
		store := laketest.NewStore(t)
		if _, err := consumerOn(client, store, "c", clk).Drain(ctx); err != nil {
			t.Fatal(err)
		}
		assertExactlyOnce(t, store, events)
	})
	t.Run("ErrNothingLands", func(t *testing.T) {
		refuse := kinesislocal.WriteLimiterFunc(func(string, string, time.Time, int) bool { return false })
		client, clk := newKinesisWith(t, 1, kinesislocal.WithWriteLimiter(refuse))
		st, err := (&stream.Producer{Client: client, Stream: "clicks", Clock: clk, MaxAttempts: 4}).Put(ctx, makeEvents(71, 10))
		if err == nil || !strings.Contains(err.Error(), "ProvisionedThroughputExceededException") {
			t.Fatalf("err = %v, want the throttling named", err)
		}
		if st.Calls != 4 || st.Failed != 10 || st.Acknowledged != 0 {
			t.Fatalf("stats %+v, want 4 calls and 10 failed", st)
		}
	})
	t.Run("ErrPermanent", func(t *testing.T) {
		client, _ := newKinesisWith(t, 1)
		clk := clock.NewSim(t0)
		st, err := (&stream.Producer{Client: client, Stream: "no-such-stream", Clock: clk}).Put(ctx, makeEvents(72, 3))
		if err == nil || st.Calls != 1 || !clk.Now().Equal(t0) {
			t.Fatalf("a missing stream: err %v after %d calls and %s of waits, want an error at once", err, st.Calls, clk.Now().Sub(t0))
		}
	})
}
