package cost

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"regexp"
	"sort"
	"strings"

	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/stream"
)

// Measured is what MeasureLake read from a lake.
type Measured struct {
	// Zones are the objects and bytes of each part of the lake.
	Zones []ZoneSize `json:"zones"`
	// Days are the arrival dates of the RAW events; Events the records
	// the staging manifests count (rows and rejected), plus the unstaged
	// RAW objects' estimated from their bytes.
	Days   int     `json:"days"`
	Events float64 `json:"events"`
	// RawEventObjects is the RAW events objects (one per batch the
	// consumer wrote: one Lambda invocation each on AWS).
	RawEventObjects int `json:"raw_event_objects"`
	// PeakShardHour is the most records a shard took in an hour (from the
	// staged objects' keys and counts), PeakShardSecond that over 3,600:
	// the lake keeps no finer rate.
	PeakShardHour   float64 `json:"peak_records_per_shard_hour"`
	PeakShardSecond float64 `json:"peak_records_per_shard_second"`
	// PayloadSample is how many records the payload size was measured on.
	PayloadSample int `json:"payload_sample"`
	Exports       int `json:"exports"`
}

// ZoneSize is the size of one part of the lake.
type ZoneSize struct {
	Zone    string `json:"zone"`
	Objects int    `json:"objects"`
	Bytes   int64  `json:"bytes"`
}

// shardOf finds the shard in a RAW events object's name
// (<stream>-<shard>-<first seq>-<last seq>.ndjson.gz).
var shardOf = regexp.MustCompile(`-(shardId-[0-9]+)-[0-9]+-[0-9]+\.ndjson(\.gz)?$`)

// payloadSampleObjects is how many RAW events objects MeasureLake reads to
// measure the size of a record's payload.
const payloadSampleObjects = 20

// MeasureLake measures a lake: one listing of it, the staging manifests of
// the RAW events (a GET each), and payloadSampleObjects RAW events
// objects. The Usage's figures the lake does not record (the Lambda's and
// the transform's durations, the Lambda's memory, the base RPU) are the
// assumptions Assume makes, and say so.
func MeasureLake(ctx context.Context, store lake.Store, s Sample) (Usage, Measured, []Assumption, error) {
	var m Measured
	infos, err := store.List(ctx, "")
	if err != nil {
		return Usage{}, m, nil, fmt.Errorf("measure the lake: %w", err)
	}
	zones := map[string]*ZoneSize{}
	days := map[string]bool{}
	var rawEventBytes, stagingEvents, batchBytes, curated, deadLetters float64
	var curatedFiles int
	var rawEvents []lake.ObjectInfo
	for _, info := range infos {
		z := zoneOf(info.Key)
		if zones[z] == nil {
			zones[z] = &ZoneSize{Zone: z}
		}
		zones[z].Objects++
		zones[z].Bytes += info.Size
		size := float64(info.Size)
		switch k := info.Key; {
		case strings.HasPrefix(k, lake.RawEvents):
			rawEvents = append(rawEvents, info)
			rawEventBytes += size
			if d, ok := lake.PartitionDate(k); ok {
				days[d] = true
			}
		case strings.HasPrefix(k, lake.StagingPrefix+"events/"), strings.HasPrefix(k, lake.StagedEvents), strings.HasPrefix(k, lake.QuarantineTransform+"events/"):
			stagingEvents += size
		case strings.HasPrefix(k, lake.QuarantineExpiring):
			deadLetters += size
		case strings.HasPrefix(k, lake.CuratedExports):
			m.Exports++
		case strings.HasPrefix(k, lake.CuratedPrefix):
			curated += size
			curatedFiles++
		case strings.HasPrefix(k, lake.RawPrefix), strings.HasPrefix(k, lake.StagingPrefix), strings.HasPrefix(k, lake.QuarantineTransform):
			batchBytes += size // FakeStore snapshots, their staging, commits, run records
		}
	}
	for _, z := range zones {
		m.Zones = append(m.Zones, *z)
	}
	sort.Slice(m.Zones, func(i, j int) bool { return m.Zones[i].Zone < m.Zones[j].Zone })
	m.Days = max(1, len(days))
	m.RawEventObjects = len(rawEvents)

	manifests, err := lake.ReadStagedManifests(ctx, store, lake.StagedEvents)
	if err != nil {
		return Usage{}, m, nil, fmt.Errorf("measure the lake: %w", err)
	}
	staged := map[string]bool{}
	var stagedEvents, stagedBytes float64
	hours := map[string]float64{}      // date/hour -> records
	shardHours := map[string]float64{} // date/hour/shard -> records
	sizes := map[string]int64{}
	for _, info := range rawEvents {
		sizes[info.Key] = info.Size
	}
	for _, ms := range manifests.Valid {
		n := float64(ms.Rejected)
		for _, f := range ms.Files {
			if f.Table == "events" {
				n += float64(f.Rows)
			}
		}
		staged[ms.RawKey] = true
		stagedEvents += n
		stagedBytes += float64(sizes[ms.RawKey])
		parts := strings.Split(strings.TrimPrefix(ms.RawKey, lake.RawEvents), "/")
		if len(parts) == 3 {
			hours[parts[0]+"/"+parts[1]] += n
			if sh := shardOf.FindStringSubmatch(parts[2]); sh != nil {
				shardHours[parts[0]+"/"+parts[1]+"/"+sh[1]] += n
			}
		}
	}
	m.Events = stagedEvents
	if stagedBytes > 0 {
		// The objects not staged yet, by the staged ones' records per byte.
		m.Events += (rawEventBytes - stagedBytes) * stagedEvents / stagedBytes
	}
	if m.Events == 0 {
		return Usage{}, m, nil, fmt.Errorf("measure the lake: no staged events (run shoplake transform first, or estimate with --events-per-day)")
	}
	// The busiest hour over its day's mean hour, as MeasureSimulator.
	perDate := map[string]float64{}
	for h, n := range hours {
		perDate[h[:strings.IndexByte(h, '/')]] += n
	}
	var peakFactor float64
	for h, n := range hours {
		if t := perDate[h[:strings.IndexByte(h, '/')]]; t > 0 {
			peakFactor = math.Max(peakFactor, n/(t/24))
		}
	}
	for _, n := range shardHours {
		m.PeakShardHour = math.Max(m.PeakShardHour, n)
	}
	m.PeakShardSecond = m.PeakShardHour / 3600

	payload, maxPayload, sample, err := payloadSizes(ctx, store, rawEvents)
	if err != nil {
		return Usage{}, m, nil, err
	}
	m.PayloadSample = sample
	perDay := m.Events / float64(m.Days)
	u, assumed := Assume(perDay, s)
	u.PayloadBytes, u.MaxPayloadBytes = payload, maxPayload
	u.PeakFactor = peakFactor
	u.RawBytesPerEvent = rawEventBytes / m.Events
	u.StagingBytesPerEvent = stagingEvents / m.Events
	u.DeadLetterBytesPerEvent = deadLetters / m.Events
	u.BatchBytesPerDay = batchBytes / float64(m.Days)
	u.RecordsPerObject = m.Events / float64(max(1, m.RawEventObjects))
	u.BatchRecords = math.Max(TemplateBatchRecords, u.RecordsPerObject)
	if m.Exports > 0 {
		u.CuratedBytesPerDay = curated / float64(m.Exports)
		u.MartsPerExport = float64(curatedFiles)/float64(m.Exports) + 1
	}
	measured := fmt.Sprintf("measured in the lake (%d days of RAW events)", m.Days)
	out := []Assumption{
		{"events per day", fmt.Sprintf("%.0f", perDay), fmt.Sprintf("%s: %.0f records in the staging manifests and the unstaged objects", measured, m.Events)},
		{"bytes per event (payload)", fmt.Sprintf("%.0f mean, %.0f max", payload, maxPayload), fmt.Sprintf("measured on %d records of the first %d RAW objects", sample, payloadSampleObjects)},
		{"peak hour", fmt.Sprintf("%.2f× its day's mean hour; %.2f records/s per shard at most", u.PeakFactor, m.PeakShardSecond), measured + ": the busiest shard-hour over 3,600 s"},
		{"RAW bytes per event", fmt.Sprintf("%.1f", u.RawBytesPerEvent), measured},
		{"STAGING bytes per event", fmt.Sprintf("%.1f", u.StagingBytesPerEvent), measured + " (the events' Parquet, manifests and transform QUARANTINE)"},
		{"dead letters", fmt.Sprintf("%.2f bytes per event", u.DeadLetterBytesPerEvent), measured + " (quarantine/events/)"},
		{"FakeStore snapshots", fmt.Sprintf("%.2f MB a day", u.BatchBytesPerDay/1e6), measured + " (snapshots, their staging, commits, run records)"},
		{"CURATED", fmt.Sprintf("%.0f KB and %.0f files an export", u.CuratedBytesPerDay/1e3, u.MartsPerExport), fmt.Sprintf("measured: %d exports", m.Exports)},
		{"records per Lambda invocation", fmt.Sprintf("%.1f", u.RecordsPerObject), fmt.Sprintf("measured: %d RAW events objects, one per batch", m.RawEventObjects)},
	}
	for _, a := range assumed {
		switch a.Name {
		case "Lambda duration", "transform", "S3 requests":
			out = append(out, a)
		}
	}
	return u, m, out, nil
}

// zoneOf names the part of the lake key is in, for the bill: its first
// two segments (raw/events, staging/_staged, quarantine/transform), with
// the FakeStore staging tables as staging/fakestore and CURATED whole.
func zoneOf(key string) string {
	z := lake.PruneZoneOf(key)
	switch {
	case strings.HasPrefix(z, lake.CuratedPrefix):
		return "curated"
	case strings.HasPrefix(z, lake.StagingPrefix+"fakestore_"):
		return "staging/fakestore"
	}
	return z
}

// payloadSizes decodes the records of the first payloadSampleObjects RAW
// events objects and measures each event as the producer sent it.
func payloadSizes(ctx context.Context, store lake.Store, objs []lake.ObjectInfo) (mean, largest float64, n int, err error) {
	var total float64
	for _, info := range objs[:min(len(objs), payloadSampleObjects)] {
		body, err := store.Get(ctx, info.Key)
		if err != nil {
			return 0, 0, 0, fmt.Errorf("measure the lake: %w", err)
		}
		var r io.Reader = bytes.NewReader(body)
		if strings.HasSuffix(info.Key, ".gz") {
			zr, err := gzip.NewReader(r)
			if err != nil {
				continue // verify reports it
			}
			r = zr
		}
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 1<<20), 1<<24)
		for sc.Scan() {
			var rec stream.RawRecord
			if json.Unmarshal(sc.Bytes(), &rec) != nil {
				continue
			}
			b, err := json.Marshal(rec.Event)
			if err != nil {
				continue
			}
			total += float64(len(b))
			largest = math.Max(largest, float64(len(b)))
			n++
		}
	}
	if n == 0 {
		return 0, 0, 0, fmt.Errorf("measure the lake: no readable record in the RAW events objects")
	}
	return total / float64(n), largest, n, nil
}
