package cost

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math"
	"time"

	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
)

// Assumption is one figure of a Usage and where it comes from.
type Assumption struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	Why   string `json:"why"`
}

// The template's defaults (deploy/aws/template.yaml) that the model uses.
const (
	TemplateBatchRecords   = 500 // RawBatchRecords and EventBatchSize
	TemplateBatchWindowSec = 5   // MaximumBatchingWindowInSeconds
	TemplateLambdaMemoryMB = 512 // FunctionMemoryMB
	TemplateBaseRPU        = 8   // RedshiftBaseCapacity
)

// Assumed figures: none of them is recorded anywhere the model can read.
const (
	lambdaMillisPerInvocation = 50  // start, read, PUT of one object
	lambdaMillisPerRecord     = 0.2 // decode, validate, dedup, gzip
	deadLetterShare           = 0.001
	userSnapshotBytes         = 200 // bytes of one user in a day's users snapshot (demo: 1,000 users, ~240 KB a day with products and carts)
	eventsPerUser             = 10  // registered users = events per day / this
	curatedBytesPerDay        = 40 << 10
	martsPerExport            = 18 // 17 marts and the manifest (demo)
	stagingFilesPerObject     = 2  // the events Parquet and the manifest (a quarantine file when records are rejected)
)

// Sample is what the simulator's clickstream measures: the payloads a
// producer puts, the hourly rhythm, and the RAW bytes of an event.
type Sample struct {
	Seed   uint64 `json:"seed"`
	Users  int    `json:"users"`
	Days   int    `json:"days"`
	Events int    `json:"events"`
	// PayloadBytes is the mean JSON size of an event; MaxPayloadBytes the
	// largest.
	PayloadBytes    float64 `json:"payload_bytes"`
	MaxPayloadBytes float64 `json:"max_payload_bytes"`
	// PeakFactor is the busiest hour's events over its day's mean hour,
	// the greatest of the days.
	PeakFactor float64 `json:"peak_factor"`
	// RawBytesPerEvent is the gzip NDJSON size of an event in RAW objects
	// of TemplateBatchRecords records, as the consumer writes them.
	RawBytesPerEvent float64 `json:"raw_bytes_per_event"`
}

// MeasureSimulator generates the simulated world of seed (users over days)
// and measures it: each event encoded as the producer sends it, the RAW
// objects it would make (RawRecords, gzip, TemplateBatchRecords a piece,
// with a sequence number of AWS's length), and the events per hour.
func MeasureSimulator(seed uint64, users, days int) (Sample, error) {
	cfg := sim.DefaultConfig()
	cfg.Seed, cfg.Users, cfg.Days = seed, users, days
	gen, err := sim.NewGenerator(cfg)
	if err != nil {
		return Sample{}, fmt.Errorf("measure the simulator: %w", err)
	}
	s := Sample{Seed: seed, Users: users, Days: days}
	hourly := make([]int, days*24)
	var payload, raw float64
	var batch bytes.Buffer
	n := 0
	flush := func() error {
		if n == 0 {
			return nil
		}
		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		if _, err := zw.Write(batch.Bytes()); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		raw += float64(gz.Len())
		batch.Reset()
		n = 0
		return nil
	}
	seq := 0
	for e := range gen.Events {
		b, err := json.Marshal(e)
		if err != nil {
			return Sample{}, fmt.Errorf("measure the simulator: encode event %s: %w", e.EventID, err)
		}
		payload += float64(len(b))
		s.MaxPayloadBytes = math.Max(s.MaxPayloadBytes, float64(len(b)))
		s.Events++
		if h := int(e.EventTime.Sub(cfg.Start) / time.Hour); h >= 0 && h < len(hourly) {
			hourly[h]++
		}
		seq++
		line, err := json.Marshal(stream.RawRecord{Event: e, IngestionTime: e.EventTime.Add(time.Second), ShardID: "shardId-000000000000",
			SequenceNumber: fmt.Sprintf("4960%052d", seq)})
		if err != nil {
			return Sample{}, fmt.Errorf("measure the simulator: %w", err)
		}
		batch.Write(line)
		batch.WriteByte('\n')
		if n++; n == TemplateBatchRecords {
			if err := flush(); err != nil {
				return Sample{}, err
			}
		}
	}
	if err := flush(); err != nil {
		return Sample{}, err
	}
	if s.Events == 0 {
		return Sample{}, fmt.Errorf("measure the simulator: seed %d, %d users, %d days: no event", seed, users, days)
	}
	s.PayloadBytes = payload / float64(s.Events)
	s.RawBytesPerEvent = raw / float64(s.Events)
	// The busiest hour of a day over that day's mean hour, the greatest
	// of the days: the shop's growth over the run is no daily peak.
	for d := 0; d < days; d++ {
		day := hourly[d*24 : d*24+24]
		total, peak := 0, 0
		for _, c := range day {
			total += c
			peak = max(peak, c)
		}
		if total > 0 {
			s.PeakFactor = math.Max(s.PeakFactor, float64(peak)/(float64(total)/24))
		}
	}
	return s, nil
}

// Assume returns the usage of a shop of eventsPerDay events with the
// events of s, on the template's defaults, and every assumption made.
func Assume(eventsPerDay float64, s Sample) (Usage, []Assumption) {
	u := Usage{
		EventsPerDay:              eventsPerDay,
		PayloadBytes:              s.PayloadBytes,
		MaxPayloadBytes:           s.MaxPayloadBytes,
		PeakFactor:                s.PeakFactor,
		RawBytesPerEvent:          s.RawBytesPerEvent,
		StagingBytesPerEvent:      s.RawBytesPerEvent,
		DeadLetterBytesPerEvent:   s.RawBytesPerEvent * deadLetterShare,
		BatchBytesPerDay:          eventsPerDay / eventsPerUser * userSnapshotBytes,
		CuratedBytesPerDay:        curatedBytesPerDay,
		BatchRecords:              TemplateBatchRecords,
		StagingFilesPerObject:     stagingFilesPerObject,
		LambdaMillisPerInvocation: lambdaMillisPerInvocation,
		LambdaMillisPerRecord:     lambdaMillisPerRecord,
		LambdaMemoryMB:            TemplateLambdaMemoryMB,
		TransformMinutes:          TransformMinutes(eventsPerDay),
		BaseRPU:                   TemplateBaseRPU,
		MartsPerExport:            martsPerExport,
	}
	u.RecordsPerObject = RecordsPerInvocation(eventsPerDay, u.PeakFactor, u.PayloadBytes)
	sim := fmt.Sprintf("measured on the simulator (seed %d, %d users, %d days, %d events)", s.Seed, s.Users, s.Days, s.Events)
	return u, []Assumption{
		{"events per day", fmt.Sprintf("%.0f", eventsPerDay), "given (--events-per-day)"},
		{"bytes per event (payload)", fmt.Sprintf("%.0f mean, %.0f max", s.PayloadBytes, s.MaxPayloadBytes), sim + "; each record is 1 PUT payload unit (25 KB) and 1 KB on-demand"},
		{"peak hour", fmt.Sprintf("%.2f× its day's mean hour", s.PeakFactor), sim + ": the busiest hour sizes the shards"},
		{"RAW bytes per event", fmt.Sprintf("%.1f", s.RawBytesPerEvent), sim + ": gzip NDJSON in objects of 500 records, as the Lambda writes them"},
		{"STAGING bytes per event", fmt.Sprintf("%.1f", s.RawBytesPerEvent), "assumed equal to RAW (zstd Parquet of the typed columns; small objects cost more: measure a lake with --data-dir)"},
		{"dead letters", fmt.Sprintf("%.1f%% of RAW bytes", deadLetterShare*100), "assumed: records the consumer rejects go to quarantine/events/"},
		{"FakeStore snapshots", fmt.Sprintf("%.0f MB a day", u.BatchBytesPerDay/1e6), fmt.Sprintf("assumed %d bytes per registered user a day (demo), one user per %d events a day", userSnapshotBytes, eventsPerUser)},
		{"CURATED", fmt.Sprintf("%d KB and %d files a day", curatedBytesPerDay>>10, martsPerExport), "measured on the demo: one export a day"},
		{"records per Lambda invocation", fmt.Sprintf("%.0f", u.RecordsPerObject), fmt.Sprintf("a shard's mean rate over the %d s batching window, at most %d (template: EventBatchSize, RawBatchRecords)", TemplateBatchWindowSec, TemplateBatchRecords)},
		{"Lambda duration", fmt.Sprintf("%d ms + %.1f ms per record at %d MB arm64", lambdaMillisPerInvocation, lambdaMillisPerRecord, TemplateLambdaMemoryMB), "assumed: the Lambda records no duration the model can read"},
		{"transform", fmt.Sprintf("%.1f min a day at %d RPU", u.TransformMinutes, TemplateBaseRPU), "assumed 5 min + 1 min per million events (meta.transform_runs records no wall-clock time); template's RedshiftBaseCapacity"},
		{"S3 requests", "1 PUT per RAW object + 2 per staging + batch and export", "per RAW object the load GETs it and Redshift COPY GETs its staging; every load LISTs RAW"},
	}
}

// RecordsPerInvocation is the records an invocation takes: a shard's mean
// rate over the batching window, between 1 and TemplateBatchRecords.
func RecordsPerInvocation(eventsPerDay, peakFactor, payloadBytes float64) float64 {
	peak := eventsPerDay / 86400 * math.Max(peakFactor, 1)
	shards := math.Max(1, math.Max(math.Ceil(peak/(shardRecordsPerSecond*ShardHeadroom)), math.Ceil(peak*payloadBytes/(shardBytesPerSecond*ShardHeadroom))))
	perShard := eventsPerDay / 86400 / shards * TemplateBatchWindowSec
	return math.Min(TemplateBatchRecords, math.Max(1, math.Round(perShard)))
}
