package kinesislocal_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kinesis"
	"github.com/aws/aws-sdk-go-v2/service/kinesis/types"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/stream/kinesislocal"
)

// BenchmarkServer_PutRecords puts 20,000 records of 300 bytes (a
// clickstream event's size) per iteration, in calls of 500, through the
// real SDK client over loopback HTTP, and reports the median records/s.
func BenchmarkServer_PutRecords(b *testing.B) {
	ctx := context.Background()
	const total, batch = 20000, 500
	ents := make([]types.PutRecordsRequestEntry, batch)
	for i := range ents {
		ents[i] = types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprintf("session-%d", i)), Data: make([]byte, 300)}
	}
	var rates []float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		clk := clock.NewSim(testStart)
		c := NewTestClient(b, kinesislocal.New(clk))
		mustCreateStream(b, c, "s", 4)
		b.StartTimer()
		start := time.Now()
		for n := 0; n < total; n += batch {
			if _, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: ents}); err != nil {
				b.Fatal(err)
			}
		}
		rates = append(rates, total/time.Since(start).Seconds())
	}
	b.ReportMetric(median(rates), "records/s")
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

// BenchmarkServer_Throughput is P4 of make bench: 100,000 records of 250
// bytes (a clickstream event's size) put by 4 concurrent clients in calls
// of 500, then read back by 4 concurrent readers, one per shard, in
// GetRecords calls of up to 10,000, all through the real SDK client over
// loopback HTTP, on a 4-shard stream of a server with its journal on
// (Open). It reports the median put and read rates in records/s.
func BenchmarkServer_Throughput(b *testing.B) {
	ctx := context.Background()
	const total, batch, clients = 100_000, 500, 4
	var puts, reads []float64
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		clk := clock.NewSim(testStart)
		srv, err := kinesislocal.Open(b.TempDir(), clk)
		if err != nil {
			b.Fatal(err)
		}
		c := NewTestClient(b, srv)
		mustCreateStream(b, c, "s", 4)
		b.StartTimer()

		start := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		for w := 0; w < clients; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ents := make([]types.PutRecordsRequestEntry, batch)
				for n := 0; n < total/clients; n += batch {
					for j := range ents {
						ents[j] = types.PutRecordsRequestEntry{PartitionKey: aws.String(fmt.Sprintf("session-%d-%d-%d", w, n, j)), Data: make([]byte, 250)}
					}
					out, err := c.PutRecords(ctx, &kinesis.PutRecordsInput{StreamName: aws.String("s"), Records: ents})
					if err == nil && aws.ToInt32(out.FailedRecordCount) > 0 {
						err = fmt.Errorf("%d records refused", aws.ToInt32(out.FailedRecordCount))
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}()
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			b.Fatal(err)
		}
		puts = append(puts, total/time.Since(start).Seconds())

		shards, err := c.ListShards(ctx, &kinesis.ListShardsInput{StreamName: aws.String("s")})
		if err != nil {
			b.Fatal(err)
		}
		start = time.Now()
		var read atomic.Int64
		rerrs := make(chan error, len(shards.Shards))
		for _, sh := range shards.Shards {
			wg.Add(1)
			go func() {
				defer wg.Done()
				it, err := c.GetShardIterator(ctx, &kinesis.GetShardIteratorInput{StreamName: aws.String("s"), ShardId: sh.ShardId, ShardIteratorType: types.ShardIteratorTypeTrimHorizon})
				if err != nil {
					rerrs <- err
					return
				}
				next := it.ShardIterator
				for next != nil {
					out, err := c.GetRecords(ctx, &kinesis.GetRecordsInput{ShardIterator: next, Limit: aws.Int32(10_000)})
					if err != nil {
						rerrs <- err
						return
					}
					read.Add(int64(len(out.Records)))
					if len(out.Records) == 0 || aws.ToInt64(out.MillisBehindLatest) == 0 {
						break
					}
					next = out.NextShardIterator
				}
			}()
		}
		wg.Wait()
		close(rerrs)
		for err := range rerrs {
			b.Fatal(err)
		}
		if read.Load() != total {
			b.Fatalf("read %d records of %d", read.Load(), total)
		}
		reads = append(reads, total/time.Since(start).Seconds())
		b.StopTimer()
		if err := srv.Close(); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
	b.ReportMetric(median(puts), "put_records/s")
	b.ReportMetric(median(reads), "get_records/s")
}
