package cost

import (
	"fmt"
	"math"

	"github.com/shoplake/shoplake/lake"
)

// Calendar of a month: AWS bills 730 hours a month.
const (
	HoursPerMonth = 730.0
	DaysPerMonth  = 365.0 / 12
)

// AWS's limits and billing units the model uses.
const (
	shardRecordsPerSecond = 1000    // a shard's write quota, records/s
	shardBytesPerSecond   = 1 << 20 // and bytes/s
	// ShardHeadroom is the share of a shard's quota the model fills at
	// the peak before it adds a shard.
	ShardHeadroom       = 0.8
	putPayloadUnitBytes = 25 * 1024 // provisioned: PUT payload units of 25 KB
	onDemandUnitBytes   = 1024      // on-demand: records rounded up to 1 KB
	// minTransitionBytes: since September 2024 S3 does not transition
	// objects under 128 KiB by default.
	minTransitionBytes = 128 * 1024
	gib                = 1 << 30
)

// Usage is what the pipeline does in a day, measured or assumed: the input
// of Estimate. Every figure is per day unless its name says otherwise.
type Usage struct {
	// EventsPerDay is the clickstream's records per day.
	EventsPerDay float64 `json:"events_per_day"`
	// PayloadBytes is the mean size of one record as the producer puts it
	// (the event's JSON); MaxPayloadBytes the largest seen.
	PayloadBytes    float64 `json:"payload_bytes"`
	MaxPayloadBytes float64 `json:"max_payload_bytes"`
	// PeakFactor is the busiest hour's records over the mean hour's.
	PeakFactor float64 `json:"peak_factor"`
	// RawBytesPerEvent is what one event takes in RAW (gzip NDJSON).
	RawBytesPerEvent float64 `json:"raw_bytes_per_event"`
	// StagingBytesPerEvent is what one event takes in STAGING (Parquet,
	// its manifest's share, the transform's QUARANTINE files).
	StagingBytesPerEvent float64 `json:"staging_bytes_per_event"`
	// DeadLetterBytesPerEvent is what the stream's dead letters
	// (quarantine/events/) take per event sent.
	DeadLetterBytesPerEvent float64 `json:"dead_letter_bytes_per_event"`
	// BatchBytesPerDay is what a day's FakeStore snapshots, commits and
	// run records add to RAW; CuratedBytesPerDay what a day's export adds
	// to CURATED.
	BatchBytesPerDay   float64 `json:"batch_bytes_per_day"`
	CuratedBytesPerDay float64 `json:"curated_bytes_per_day"`
	// RecordsPerObject is the records in one RAW events object: one
	// Lambda invocation writes one.
	RecordsPerObject float64 `json:"records_per_object"`
	// BatchRecords is the most records per invocation (the event source
	// mapping's batch size, RawBatchRecords in the template): projections
	// grow RecordsPerObject up to it.
	BatchRecords float64 `json:"batch_records"`
	// StagingFilesPerObject is the files (Parquet and manifest) staging
	// writes per RAW object.
	StagingFilesPerObject float64 `json:"staging_files_per_object"`
	// LambdaMillisPerInvocation and LambdaMillisPerRecord make an
	// invocation's billed duration; LambdaMemoryMB its memory.
	LambdaMillisPerInvocation float64 `json:"lambda_ms_per_invocation"`
	LambdaMillisPerRecord     float64 `json:"lambda_ms_per_record"`
	LambdaMemoryMB            float64 `json:"lambda_memory_mb"`
	// TransformMinutes is the daily transform's time in Redshift
	// Serverless; BaseRPU its workgroup's base capacity.
	TransformMinutes float64 `json:"transform_minutes_per_day"`
	BaseRPU          float64 `json:"base_rpu"`
	// MartsPerExport is the files a day's export writes (marts and the
	// manifest).
	MartsPerExport float64 `json:"marts_per_export"`
}

// Scale returns u at k times the events: records per object grow with the
// rate up to BatchRecords, the transform's time with the events past its
// fixed part; the batch snapshots and the marts do not grow.
func (u Usage) Scale(k float64) Usage {
	s := u
	s.EventsPerDay *= k
	s.RecordsPerObject = math.Min(math.Max(u.BatchRecords, u.RecordsPerObject), u.RecordsPerObject*k)
	s.TransformMinutes = TransformMinutes(s.EventsPerDay)
	if u.TransformMinutes != TransformMinutes(u.EventsPerDay) {
		// Given, not derived: scale it with the events.
		s.TransformMinutes = u.TransformMinutes * k
	}
	return s
}

// TransformMinutes is the model's daily transform time for a volume: 5
// minutes, plus 1 minute per million events. The warehouse records no
// durations (meta.transform_runs keeps no wall-clock time, by design), so
// this is an assumption; cost --transform-minutes replaces it.
func TransformMinutes(eventsPerDay float64) float64 { return 5 + eventsPerDay/1e6 }

// Line is one priced item of a service.
type Line struct {
	Item      string  `json:"item"`
	Quantity  float64 `json:"quantity"`
	Unit      string  `json:"unit"`
	UnitPrice float64 `json:"unit_price"`
	Monthly   float64 `json:"monthly_usd"`
}

// Service is one service's lines and their sum.
type Service struct {
	Name    string  `json:"name"`
	Lines   []Line  `json:"lines"`
	Monthly float64 `json:"monthly_usd"`
	// Note says what the lines leave out or chose.
	Note string `json:"note,omitempty"`
}

func (s *Service) add(item string, qty float64, unit string, price float64) {
	l := Line{Item: item, Quantity: qty, Unit: unit, UnitPrice: price, Monthly: qty * price}
	s.Lines = append(s.Lines, l)
	s.Monthly += l.Monthly
}

// Bill is one estimate.
type Bill struct {
	Region        string    `json:"region"`
	EventsPerDay  float64   `json:"events_per_day"`
	HorizonMonths int       `json:"horizon_months"`
	Services      []Service `json:"services"`
	Total         float64   `json:"total_monthly_usd"`
	// Shards is the provisioned stream's shard count at the peak;
	// KinesisMode the cheaper mode, the one Total counts.
	Shards      int    `json:"shards"`
	KinesisMode string `json:"kinesis_mode"`
	// Storage is what each zone holds at the horizon, per class.
	Storage []ZoneStorage `json:"storage"`
	// WithoutLifecycle is the S3 storage bill at the horizon with no
	// lifecycle rule (everything in STANDARD, nothing expired);
	// LifecycleSavings what the rules save a month then.
	WithoutLifecycle float64 `json:"s3_storage_without_lifecycle_usd"`
	LifecycleSavings float64 `json:"lifecycle_savings_usd"`
}

// ZoneStorage is what one zone holds at the horizon in one storage class.
type ZoneStorage struct {
	Zone  string  `json:"zone"`
	Class string  `json:"class"`
	GB    float64 `json:"gb"`
}

// Estimate prices u in region p, with the lifecycle of r, at steady state
// after horizonMonths months of data (storage grows with retention: the
// bill of month horizonMonths).
func Estimate(u Usage, p Prices, r lake.Retention, horizonMonths int) Bill {
	b := Bill{Region: p.Region, EventsPerDay: u.EventsPerDay, HorizonMonths: horizonMonths}
	eventsMonth := u.EventsPerDay * DaysPerMonth

	// Kinesis: both modes; the cheaper counts.
	peakRate := u.EventsPerDay / 86400 * math.Max(u.PeakFactor, 1)
	b.Shards = max(1, int(math.Ceil(peakRate/(shardRecordsPerSecond*ShardHeadroom))),
		int(math.Ceil(peakRate*u.PayloadBytes/(shardBytesPerSecond*ShardHeadroom))))
	prov := Service{Name: "Kinesis Data Streams (provisioned)"}
	prov.add("shard-hours", float64(b.Shards)*HoursPerMonth, "shard-hour", p.KinesisShardHour)
	units := math.Ceil(math.Max(u.MaxPayloadBytes, u.PayloadBytes) / putPayloadUnitBytes)
	prov.add("PUT payload units (25 KB)", eventsMonth*units/1e6, "million", p.KinesisPutUnitsMillion)
	prov.Note = fmt.Sprintf("%d shard(s): peak %.0f records/s (%.1f× the day's mean hour) at %.0f%% of 1,000 records/s and 1 MiB/s per shard",
		b.Shards, peakRate, u.PeakFactor, ShardHeadroom*100)
	ond := Service{Name: "Kinesis Data Streams (on-demand)"}
	ond.add("stream-hours", HoursPerMonth, "stream-hour", p.KinesisOnDemandHour)
	gbIn := eventsMonth * math.Ceil(u.PayloadBytes/onDemandUnitBytes) * onDemandUnitBytes / gib
	ond.add("data in (records rounded up to 1 KB)", gbIn, "GB", p.KinesisOnDemandGBIn)
	ond.add("data out (1 consumer: the Lambda)", gbIn, "GB", p.KinesisOnDemandGBOut)
	kinesis := prov
	b.KinesisMode = "provisioned"
	if ond.Monthly < prov.Monthly {
		kinesis, b.KinesisMode = ond, "on-demand"
	}
	alt := ond
	if b.KinesisMode == "on-demand" {
		alt = prov
	}
	kinesis.Note = fmt.Sprintf("%s is cheaper: %s would cost %.2f USD/month. %s", b.KinesisMode, alt.Name, alt.Monthly, prov.Note)
	b.Services = append(b.Services, kinesis, alt)

	// Lambda: one invocation per RAW object.
	objects := u.EventsPerDay / math.Max(u.RecordsPerObject, 1)
	invMonth := objects * DaysPerMonth
	ms := u.LambdaMillisPerInvocation + u.LambdaMillisPerRecord*math.Max(u.RecordsPerObject, 1)
	lambda := Service{Name: "Lambda (stream consumer)"}
	lambda.add("requests", invMonth/1e6, "million", p.LambdaRequestsMillion)
	lambda.add("compute", invMonth*ms/1000*u.LambdaMemoryMB/1024, "GB-second", p.LambdaGBSecond)
	lambda.Note = fmt.Sprintf("%.0f invocations/day of %.0f records, %.0f ms at %.0f MB", objects, u.RecordsPerObject, ms, u.LambdaMemoryMB)
	b.Services = append(b.Services, lambda)

	// S3 storage at the horizon, with and without the lifecycle rules.
	days := float64(horizonMonths) * DaysPerMonth
	storage, transitions := storageAt(u, r, days, objects)
	b.Storage = storage
	s3s := Service{Name: "S3 storage (month " + fmt.Sprint(horizonMonths) + ", after lifecycle)"}
	for _, z := range storage {
		s3s.add(z.Zone+" "+z.Class, z.GB, "GB-month", classPrice(p, z.Class))
	}
	// Without rules every byte ever written is kept in STANDARD.
	var without float64
	for _, z := range storageAt0(u, days) {
		without += z.GB * p.S3StandardGBMonth
	}
	if transitions > 0 {
		archive := p.S3TransitionGlacierIR
		if r.RawArchiveClass == lake.ArchiveGlacier {
			archive = p.S3TransitionGlacier1000
		}
		s3s.add("lifecycle transitions to STANDARD_IA", transitions*DaysPerMonth/1000, "1,000 requests", p.S3TransitionIA1000)
		s3s.add("lifecycle transitions to "+r.RawArchiveClass, transitions*DaysPerMonth/1000, "1,000 requests", archive)
	}
	if objects > 0 && u.RawBytesPerEvent*u.RecordsPerObject < minTransitionBytes {
		s3s.Note = fmt.Sprintf("RAW events objects average %.0f KiB, under S3's 128 KiB minimum for a transition: they stay in STANDARD (raise RawBatchRecords to tier them)",
			u.RawBytesPerEvent*u.RecordsPerObject/1024)
	}
	b.WithoutLifecycle = without
	b.LifecycleSavings = without - s3s.Monthly
	b.Services = append(b.Services, s3s)

	// S3 requests.
	req := Service{Name: "S3 requests"}
	putsDay := objects*(1+u.StagingFilesPerObject) + 6 + u.MartsPerExport
	getsDay := objects * (1 + u.StagingFilesPerObject)
	listsDay := objects*math.Min(days, retainedDays(r.RawExpireDays, days))/1000 + 10
	req.add("PUT", putsDay*DaysPerMonth/1000, "1,000 requests", p.S3Put1000)
	req.add("LIST (a load lists RAW)", listsDay*DaysPerMonth/1000, "1,000 requests", p.S3Put1000)
	req.add("GET", getsDay*DaysPerMonth/1000, "1,000 requests", p.S3Get1000)
	b.Services = append(b.Services, req)

	// Redshift Serverless: the daily transform at base capacity.
	rs := Service{Name: "Redshift Serverless"}
	rs.add("RPU-hours", u.BaseRPU*math.Max(u.TransformMinutes, 1)/60*DaysPerMonth, "RPU-hour", p.RedshiftRPUHour)
	rs.Note = fmt.Sprintf("%.0f RPU for %.1f min a day (billed per second, 60 s minimum)", u.BaseRPU, u.TransformMinutes)
	b.Services = append(b.Services, rs)

	for _, s := range b.Services {
		if s.Name != alt.Name {
			b.Total += s.Monthly
		}
	}
	return b
}

// retainedDays is how long an object stays: expire days, or the horizon.
func retainedDays(expire int, horizon float64) float64 {
	if expire > 0 {
		return math.Min(float64(expire), horizon)
	}
	return horizon
}

// storageAt is what each zone holds after days of data under r, by class,
// and the lifecycle transitions a day brings (per transition kind).
func storageAt(u Usage, r lake.Retention, days, objectsPerDay float64) ([]ZoneStorage, float64) {
	var out []ZoneStorage
	add := func(zone, class string, gbPerDay, d float64) {
		if d > 0 && gbPerDay > 0 {
			out = append(out, ZoneStorage{Zone: zone, Class: class, GB: gbPerDay * d})
		}
	}
	rawKept := retainedDays(r.RawExpireDays, days)
	rawEvents := u.EventsPerDay * u.RawBytesPerEvent / gib
	batch := u.BatchBytesPerDay / gib
	var transitions float64
	tier := func(zone string, gbPerDay float64, small bool) {
		ia, arch := float64(r.RawInfrequentAccessDays), float64(r.RawArchiveDays)
		if small || ia <= 0 {
			add(zone, "STANDARD", gbPerDay, rawKept)
			return
		}
		add(zone, "STANDARD", gbPerDay, math.Min(rawKept, ia))
		if arch <= 0 {
			add(zone, "STANDARD_IA", gbPerDay, rawKept-ia)
			return
		}
		add(zone, "STANDARD_IA", gbPerDay, math.Min(rawKept, arch)-ia)
		add(zone, r.RawArchiveClass, gbPerDay, rawKept-arch)
	}
	small := objectsPerDay > 0 && u.RawBytesPerEvent*u.RecordsPerObject < minTransitionBytes
	tier("raw/events", rawEvents, small)
	if !small && rawKept > float64(r.RawInfrequentAccessDays) && r.RawInfrequentAccessDays > 0 {
		transitions = objectsPerDay
	}
	// FakeStore snapshots: a few objects a day, each over 128 KiB once
	// the shop is large; tiered like RAW.
	tier("raw/fakestore", batch, batch*gib/3 < minTransitionBytes)
	add("staging", "STANDARD", u.EventsPerDay*u.StagingBytesPerEvent/gib, days)
	add("quarantine/events", "STANDARD", u.EventsPerDay*u.DeadLetterBytesPerEvent/gib, retainedDays(r.QuarantineExpireDays, days))
	curatedDays := days
	if r.CuratedKeepExports > 0 {
		curatedDays = math.Min(days, float64(r.CuratedKeepExports))
	}
	add("curated", "STANDARD", u.CuratedBytesPerDay/gib, curatedDays)
	return out, transitions
}

// storageAt0 is what the zones hold after days with no lifecycle rule and
// nothing pruned: every byte in STANDARD.
func storageAt0(u Usage, days float64) []ZoneStorage {
	return []ZoneStorage{
		{Zone: "raw", Class: "STANDARD", GB: (u.EventsPerDay*u.RawBytesPerEvent + u.BatchBytesPerDay) / gib * days},
		{Zone: "staging", Class: "STANDARD", GB: u.EventsPerDay * u.StagingBytesPerEvent / gib * days},
		{Zone: "quarantine/events", Class: "STANDARD", GB: u.EventsPerDay * u.DeadLetterBytesPerEvent / gib * days},
		{Zone: "curated", Class: "STANDARD", GB: u.CuratedBytesPerDay / gib * days},
	}
}

func classPrice(p Prices, class string) float64 {
	switch class {
	case "STANDARD_IA":
		return p.S3StandardIAGBMonth
	case lake.ArchiveGlacierIR:
		return p.S3GlacierIRGBMonth
	case lake.ArchiveGlacier:
		return p.S3GlacierGBMonth
	}
	return p.S3StandardGBMonth
}
