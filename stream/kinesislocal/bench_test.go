package kinesislocal_test

import (
	"context"
	"fmt"
	"slices"
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
