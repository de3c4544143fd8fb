package cost_test

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/shoplake/shoplake/cost"
	"github.com/shoplake/shoplake/lake"
)

func TestLoadPrices(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		f, err := cost.LoadPrices()
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range []string{"us-east-1", "eu-west-1"} {
			p, err := f.Region(r)
			if err != nil {
				t.Fatal(err)
			}
			if p.AsOf == "" || !strings.Contains(p.Source, "aws.amazon.com") || p.KinesisShardHour <= 0 || p.RedshiftRPUHour <= 0 {
				t.Errorf("%s: %+v", r, p)
			}
		}
	})
	t.Run("ErrUnknownRegion", func(t *testing.T) {
		f, _ := cost.LoadPrices()
		if _, err := f.Region("mars-1"); !errors.Is(err, cost.ErrUnknownRegion) || !strings.Contains(err.Error(), "us-east-1") {
			t.Errorf("err = %v, want ErrUnknownRegion listing the regions", err)
		}
	})
	t.Run("MissingPrice", func(t *testing.T) {
		body := embedded(t)
		// Drop eu-west-1's Lambda GB-second price.
		i := bytes.Index(body, []byte("  eu-west-1:"))
		j := i + bytes.Index(body[i:], []byte("    lambda_gb_second:"))
		k := j + bytes.IndexByte(body[j:], '\n') + 1
		broken := append(append([]byte{}, body[:j]...), body[k:]...)
		_, err := cost.ParsePrices(broken)
		if err == nil || !strings.Contains(err.Error(), "region eu-west-1: price lambda_gb_second is missing") {
			t.Errorf("a missing price: err = %v, want one naming the region and the key", err)
		}
	})
	t.Run("NoDate", func(t *testing.T) {
		_, err := cost.ParsePrices(bytes.Replace(embedded(t), []byte(`as_of: "`), []byte(`date: "`), 1))
		if err == nil || !strings.Contains(err.Error(), "as_of is missing") {
			t.Errorf("err = %v, want as_of is missing", err)
		}
	})
}

// embedded returns the price file's bytes as the package embeds them.
func embedded(t *testing.T) []byte {
	t.Helper()
	b, err := cost.PricesFile()
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// usage is a shop's day in round figures.
func usage(events float64) cost.Usage {
	return cost.Usage{EventsPerDay: events, PayloadBytes: 500, MaxPayloadBytes: 600, PeakFactor: 2, RawBytesPerEvent: 100,
		StagingBytesPerEvent: 100, DeadLetterBytesPerEvent: 1, BatchBytesPerDay: 1e6, CuratedBytesPerDay: 4e4,
		RecordsPerObject: 500, BatchRecords: 500, StagingFilesPerObject: 2, LambdaMillisPerInvocation: 50, LambdaMillisPerRecord: 0.2,
		LambdaMemoryMB: 512, TransformMinutes: 15, BaseRPU: 8, MartsPerExport: 18}
}

func prices(t *testing.T) cost.Prices {
	t.Helper()
	f, err := cost.LoadPrices()
	if err != nil {
		t.Fatal(err)
	}
	p, err := f.Region("us-east-1")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func service(t *testing.T, b cost.Bill, prefix string) cost.Service {
	t.Helper()
	for _, s := range b.Services {
		if strings.HasPrefix(s.Name, prefix) {
			return s
		}
	}
	t.Fatalf("no service %s in %+v", prefix, b.Services)
	return cost.Service{}
}

func TestEstimate(t *testing.T) {
	p := prices(t)
	r := lake.DefaultRetention()
	b := cost.Estimate(usage(1e7), p, r, 12)

	t.Run("TotalIsTheServicesWithTheCheaperStream", func(t *testing.T) {
		prov, ond := service(t, b, "Kinesis Data Streams (provisioned)"), service(t, b, "Kinesis Data Streams (on-demand)")
		var sum float64
		for _, s := range b.Services {
			sum += s.Monthly
		}
		if got, want := b.Total, sum-math.Max(prov.Monthly, ond.Monthly); math.Abs(got-want) > 1e-9 {
			t.Errorf("total %.4f, want the services less the dearer stream mode %.4f", got, want)
		}
		if (b.KinesisMode == "provisioned") != (prov.Monthly <= ond.Monthly) {
			t.Errorf("mode %s, provisioned %.2f, on-demand %.2f", b.KinesisMode, prov.Monthly, ond.Monthly)
		}
	})
	t.Run("Kinesis", func(t *testing.T) {
		// 1e7 a day at twice the mean: 231 records/s, one shard.
		prov := service(t, b, "Kinesis Data Streams (provisioned)")
		if b.Shards != 1 || prov.Lines[0].Monthly != 730*p.KinesisShardHour {
			t.Errorf("shards %d, shard-hours %.2f USD; want 1 shard, 730 × %v", b.Shards, prov.Lines[0].Monthly, p.KinesisShardHour)
		}
		if got, want := prov.Lines[1].Quantity, 1e7*365/12/1e6; math.Abs(got-want) > 1e-6 {
			t.Errorf("PUT payload units: %v million, want one per record: %v", got, want)
		}
		// 100× the volume: 23,148 records/s at 80% of 1,000 a shard.
		if got := cost.Estimate(usage(1e9), p, r, 12).Shards; got != 29 {
			t.Errorf("1e9 events a day: %d shards, want ceil(23148/800) = 29", got)
		}
	})
	t.Run("Lambda", func(t *testing.T) {
		l := service(t, b, "Lambda")
		inv := 1e7 / 500 * 365 / 12
		if got := l.Lines[0].Quantity; math.Abs(got-inv/1e6) > 1e-9 {
			t.Errorf("requests %v million, want %v", got, inv/1e6)
		}
		if got, want := l.Lines[1].Quantity, inv*0.150*0.5; math.Abs(got-want) > 1e-6 {
			t.Errorf("GB-seconds %v, want %v (150 ms at 0.5 GB)", got, want)
		}
	})
	t.Run("LifecycleSavings", func(t *testing.T) {
		s3 := service(t, b, "S3 storage")
		if got := b.WithoutLifecycle - s3.Monthly; math.Abs(got-b.LifecycleSavings) > 1e-9 || b.LifecycleSavings <= 0 {
			t.Errorf("savings %.4f, without %.4f, with %.4f", b.LifecycleSavings, b.WithoutLifecycle, s3.Monthly)
		}
		// Objects of 500 × 100 bytes are under 128 KiB: RAW events stay
		// in STANDARD. With 5,000 records an object they tier, and save more.
		if has(s3, "raw/events STANDARD_IA") {
			t.Errorf("small RAW objects tiered: %+v", s3.Lines)
		}
		big := usage(1e7)
		big.RecordsPerObject, big.BatchRecords = 5000, 5000
		bb := cost.Estimate(big, p, r, 12)
		if s := service(t, bb, "S3 storage"); !has(s, "raw/events STANDARD_IA") || !has(s, "raw/events GLACIER_IR") || bb.LifecycleSavings <= b.LifecycleSavings {
			t.Errorf("large RAW objects: savings %.2f (small: %.2f), lines %+v", bb.LifecycleSavings, b.LifecycleSavings, s.Lines)
		}
		// A year of RAW in STANDARD costs 365 × 1 GB-ish a day: the
		// storage grows with the horizon.
		if b3 := cost.Estimate(usage(1e7), p, r, 3); service(t, b3, "S3 storage").Monthly >= s3.Monthly {
			t.Errorf("month 3 storage %.2f is not below month 12's %.2f", service(t, b3, "S3 storage").Monthly, s3.Monthly)
		}
	})
	t.Run("Projections", func(t *testing.T) {
		u := usage(1e7)
		b10, b100 := cost.Estimate(u.Scale(10), p, r, 12), cost.Estimate(u.Scale(100), p, r, 12)
		if !(b.Total < b10.Total && b10.Total < b100.Total) || b100.EventsPerDay != 1e9 {
			t.Errorf("totals 1× %.2f, 10× %.2f, 100× %.2f (events %v)", b.Total, b10.Total, b100.Total, b100.EventsPerDay)
		}
	})
}

func has(s cost.Service, item string) bool {
	for _, l := range s.Lines {
		if l.Item == item {
			return true
		}
	}
	return false
}

// TestMeasureSimulator: the payload is the events' JSON, the RAW bytes
// are gzip (smaller than the JSON), the peak is above the mean.
func TestMeasureSimulator(t *testing.T) {
	s, err := cost.MeasureSimulator(1, 100, 2)
	if err != nil {
		t.Fatal(err)
	}
	if s.Events == 0 || s.PayloadBytes < 100 || s.MaxPayloadBytes < s.PayloadBytes || s.RawBytesPerEvent >= s.PayloadBytes || s.PeakFactor <= 1 {
		t.Errorf("%+v", s)
	}
	again, _ := cost.MeasureSimulator(1, 100, 2)
	if again != s {
		t.Errorf("the same seed measured %+v, then %+v", s, again)
	}
}
