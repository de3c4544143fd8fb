// Package metrics is the pipeline's own Prometheus series: what every
// stage took in and gave out, what it quarantined, rejected and dropped,
// how far the consumer is behind, how the batch source answers, what the
// warehouse merged and checked, how fresh CORE is and how big each zone
// of the lake has grown.
//
// A Registry holds the series of one process (a long-running command
// serves them on --metrics-addr, a batch command writes them to a
// textfile or pushes them, the scenario runner samples them on its
// simulated clock to evaluate the alert rules of deploy/prometheus, the
// Lambda prints them as CloudWatch Embedded Metric Format). The stages do
// not know about it: their callers hand it the statistics the stages
// already return (stream.PutStats, stream.ConsumeStats, ingest.Result,
// warehouse.LoadStats, warehouse.TransformStats) and the state read from
// where the data is (the lake's listing, the warehouse's tables).
//
// Names follow the Prometheus conventions: a shoplake_ prefix, the unit in
// the name (_seconds, _bytes), _total on counters, base units, and
// timestamps as gauges of Unix seconds (alerts subtract them from time()).
// docs/METRICS.md lists every series; a test keeps it complete.
//
// Every method of a nil *Registry does nothing, so that code paths
// without metrics need no checks.
package metrics

import (
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/warehouse"
)

// Timestamps (…_timestamp_seconds) are absent until they are known, never
// 0: time() minus a 0 would read as an age of fifty years.

// Namespace prefixes every series.
const Namespace = "shoplake"

// Registry is the series of one process. Its methods are safe for
// concurrent use (a scrape runs beside the pipeline's goroutine).
type Registry struct {
	reg *prometheus.Registry

	producerRecords  *prometheus.CounterVec
	producerRejected *prometheus.CounterVec
	producerThrottle *prometheus.CounterVec
	producerRetried  *prometheus.CounterVec
	producerCalls    *prometheus.CounterVec
	lastAck          *prometheus.GaugeVec
	caughtUp         *prometheus.GaugeVec

	consumerRead      *prometheus.CounterVec
	consumerRecords   *prometheus.CounterVec
	consumerConflicts *prometheus.CounterVec
	consumerObjects   *prometheus.CounterVec
	consumerCkpts     *prometheus.CounterVec
	consumerThrottle  *prometheus.CounterVec
	quarantined       *prometheus.CounterVec
	iteratorAge       *prometheus.GaugeVec
	checkpointTime    *prometheus.GaugeVec
	shardsLeased      *prometheus.GaugeVec

	ingestRuns     *prometheus.CounterVec
	ingestObjects  *prometheus.CounterVec
	ingestLastOK   *prometheus.GaugeVec
	sourceRequests *prometheus.CounterVec
	sourceRetries  *prometheus.CounterVec
	breakerState   *prometheus.GaugeVec
	breakerOpened  *prometheus.CounterVec

	loadObjects      *prometheus.CounterVec
	loadRows         *prometheus.CounterVec
	loadRecords      *prometheus.CounterVec
	transformRuns    *prometheus.CounterVec
	mergeRows        *prometheus.CounterVec
	lateEvents       prometheus.Counter
	daysRebuilt      prometheus.Counter
	daysPending      prometheus.Gauge
	checkFailures    *prometheus.GaugeVec
	checkStatus      *prometheus.GaugeVec
	newestEvent      *prometheus.GaugeVec
	watermark        *prometheus.GaugeVec
	lastTransform    *prometheus.GaugeVec
	rejectedStored   *prometheus.GaugeVec
	quarantinedKinds *prometheus.GaugeVec
	rejectedRows     *prometheus.GaugeVec
	rawCopies        prometheus.Gauge
	pendingEvents    prometheus.Gauge
	coreEvents       prometheus.Gauge
	quarantinedObjs  prometheus.Gauge
	zoneObjects      *prometheus.GaugeVec
	zoneBytes        *prometheus.GaugeVec
	stepDuration     *prometheus.HistogramVec
	awsErrors        *prometheus.CounterVec

	series []Series

	mu          sync.Mutex
	checkpoints map[shardKey]string            // the last checkpoint seen per shard
	consumed    map[string]stream.ConsumeStats // ConsumerTotals' last totals per stream
}

type shardKey struct{ stream, shard string }

// New returns a registry holding every series of the pipeline (and none of
// the process: see WithProcess).
func New() *Registry {
	m := &Registry{reg: prometheus.NewRegistry(), checkpoints: map[shardKey]string{}, consumed: map[string]stream.ConsumeStats{}}
	f := factory{m.reg, &m.series}

	m.producerRecords = f.counter("producer_records_total", "Records handed to the producer, by outcome: acknowledged by the stream, rejected before sending, failed (given up).", "stream", "outcome")
	m.producerRejected = f.counter("producer_rejected_records_total", "Records the producer refused before sending, by reason (over 1 MiB, empty partition key, ...).", "stream", "reason")
	m.producerThrottle = f.counter("producer_throttled_records_total", "Record sends refused for a shard's write quota (ProvisionedThroughputExceeded).", "stream")
	m.producerRetried = f.counter("producer_retried_records_total", "Record sends the producer had to repeat.", "stream")
	m.producerCalls = f.counter("producer_put_calls_total", "PutRecords calls.", "stream")

	m.lastAck = f.gauge("producer_last_ack_timestamp_seconds", "When the stream last acknowledged a record of the producer, Unix seconds.", "stream")
	m.caughtUp = f.gauge("consumer_caught_up_timestamp_seconds", "When the consumer last read every shard it holds to the tip (a pass without error), Unix seconds: records acknowledged after it may wait unread.", "stream")
	m.consumerRead = f.counter("consumer_records_read_total", "Records the consumer fetched from the stream.", "stream")
	m.consumerRecords = f.counter("consumer_records_total", "Records the consumer disposed of, by outcome: raw (written to RAW), quarantined (invalid, written to QUARANTINE), duplicate (an exact copy the dedup window dropped).", "stream", "outcome")
	m.consumerConflicts = f.counter("consumer_conflicting_records_total", "Records written to RAW whose event_id came before with another payload.", "stream")
	m.consumerObjects = f.counter("consumer_objects_total", "RAW and QUARANTINE objects the consumer wrote (written) or found present from an earlier attempt (present).", "stream", "result")
	m.consumerCkpts = f.counter("consumer_checkpoints_total", "Checkpoints the consumer moved.", "stream")
	m.consumerThrottle = f.counter("consumer_throttled_reads_total", "GetRecords calls refused for a shard's read quota.", "stream")
	m.quarantined = f.counter("quarantined_records_total", "Invalid records kept out of RAW by the consumer, by reason.", "stream", "reason")
	m.iteratorAge = f.gauge("consumer_iterator_age_seconds", "How far behind the tip of its shard the consumer's last GetRecords was (MillisBehindLatest): the consumer's lag.", "stream", "shard")
	m.checkpointTime = f.gauge("consumer_checkpoint_timestamp_seconds", "When the consumer last moved the shard's checkpoint (or first saw it), Unix seconds.", "stream", "shard")
	m.shardsLeased = f.gauge("consumer_shards", "Shards the consumer listed, by state: leased (it reads them), held (another consumer does), finished (closed and read to the end).", "stream", "state")

	m.ingestRuns = f.counter("ingest_runs_total", "Batch ingestion runs of a logical date, by status: committed, unchanged, failed.", "source", "status")
	m.ingestObjects = f.counter("ingest_objects_total", "RAW objects of the batch ingestion: written, or present already.", "source", "result")
	m.ingestLastOK = f.gauge("ingest_last_success_timestamp_seconds", "When a batch ingestion run last committed or found its date unchanged, Unix seconds.", "source")
	m.sourceRequests = f.counter("source_requests_total", "Requests sent to the batch source, by endpoint and outcome: ok, retried (a retryable failure), failed (given up or not retryable), refused (the breaker was open).", "source", "endpoint", "outcome")
	m.sourceRetries = f.counter("source_retries_total", "Requests to the batch source that were sent again after a retryable failure, by endpoint.", "source", "endpoint")
	m.breakerState = f.gauge("source_breaker_state", "The batch source's circuit breaker: 0 closed, 1 open, 2 half-open.", "source")
	m.breakerOpened = f.counter("source_breaker_opened_total", "Times the batch source's circuit breaker opened.", "source")

	m.loadObjects = f.counter("load_objects_total", "RAW objects the warehouse load considered, by result: loaded, skipped (loaded before), uncommitted (no ingestion run committed it yet), quarantined (set aside: foreign, corrupt, truncated), held (set aside before, unchanged).", "result")
	m.loadRows = f.counter("load_rows_total", "Rows the warehouse load inserted into staging, by staging table.", "table")
	m.loadRecords = f.counter("load_records_quarantined_total", "Records the warehouse load kept out of staging (rejected) or stored with a value replaced (repaired).", "disposition")
	m.transformRuns = f.counter("transform_runs_total", "Transform runs, by status: promoted, blocked (a blocking check failed), failed.", "status")
	m.mergeRows = f.counter("merge_rows_total", "Rows the MERGE into CORE inserted, updated, deleted or left unchanged, by table.", "table", "action")
	m.lateEvents = f.plainCounter("transform_late_events_total", "Events merged into CORE after their day was final (their days are queued for backfill).")
	m.daysRebuilt = f.plainCounter("transform_days_rebuilt_total", "Mart partitions (dates) rebuilt by transform runs.")
	m.daysPending = f.plainGauge("transform_days_pending", "Final dates queued for backfill and not yet rebuilt: stale in the daily marts until a run rebuilds them.")
	m.checkFailures = f.gauge("check_failed_rows", "Rows the last transform run's data-quality check found, by check and severity (blocking, warning).", "check", "severity")
	m.checkStatus = f.gauge("check_passed", "Whether the last transform run's data-quality check passed (1) or found rows (0), by check and severity.", "check", "severity")
	m.newestEvent = f.gauge("core_newest_event_timestamp_seconds", "event_time of the newest event in CORE, Unix seconds: time() minus it is the data's freshness.")
	m.watermark = f.gauge("transform_watermark_timestamp_seconds", "The warehouse's watermark (newest event_time minus the allowed lateness), Unix seconds.")
	m.lastTransform = f.gauge("transform_last_success_timestamp_seconds", "When a transform run last promoted, Unix seconds.")
	m.rejectedStored = f.gauge("warehouse_quarantined_records", "Records the warehouse load kept out of staging (staging.quarantine), by entity: what analysts do not see.", "entity")
	m.quarantinedKinds = f.gauge("warehouse_quarantined_events", "Events the warehouse load kept out of staging, by kind: invalid, clock_ahead, clock_behind.", "kind")
	m.rejectedRows = f.gauge("warehouse_rejected_rows", "Source rows a model rejected (meta.rejected_rows), by entity.", "entity")
	m.rawCopies = f.plainGauge("warehouse_raw_copy_records", "Rows loaded from RAW that repeat a stream record loaded already: the same record in RAW twice (a duplicate file, a replayed batch).")
	m.pendingEvents = f.plainGauge("warehouse_pending_events", "Events loaded into staging and not yet transformed into CORE.")
	m.coreEvents = f.plainGauge("core_events", "Events in CORE.")
	m.quarantinedObjs = f.plainGauge("warehouse_quarantined_objects", "RAW objects the warehouse set aside instead of loading (meta.quarantined_objects).")
	m.zoneObjects = f.gauge("lake_objects", "Objects in a zone of the lake.", "zone")
	m.zoneBytes = f.gauge("lake_bytes", "Bytes in a zone of the lake.", "zone")
	m.awsErrors = f.counter("aws_api_errors_total", "Error answers of AWS API calls (S3, Kinesis; the local endpoints in mode local), attempt by attempt, by service, operation and error code: BadDigest is a body S3 refused by its checksum (a partial write), ProvisionedThroughputExceededException a throttle.", "service", "operation", "code")
	m.stepDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: Namespace, Name: "step_duration_seconds",
		Help:    "How long each step of the pipeline took (produce, consume, ingest, load, transform, export), on the run's clock.",
		Buckets: []float64{0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900},
	}, []string{"step"})
	m.reg.MustRegister(m.stepDuration)
	// Series an alert takes the increase() of exist at 0 from the start:
	// a counter first seen at 1 shows no increase, and a first failed run
	// would page no one.
	for _, st := range []string{"promoted", "blocked", "failed"} {
		m.transformRuns.WithLabelValues(st)
	}
	m.series = append(m.series, Series{Namespace + "_step_duration_seconds", "histogram", []string{"step"}, "How long each step of the pipeline took (produce, consume, ingest, load, transform, export), on the run's clock."})
	return m
}

// WithProcess adds the Go runtime's and the process's own series (memory,
// goroutines, CPU, open files): what a long-running command serves.
func (m *Registry) WithProcess() *Registry {
	if m != nil {
		m.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	return m
}

// Gatherer returns what a scrape reads.
func (m *Registry) Gatherer() prometheus.Gatherer { return m.reg }

// Series describes one metric family of the registry.
type Series struct {
	Name   string   `json:"name"`
	Type   string   `json:"type"` // counter, gauge, histogram
	Labels []string `json:"labels"`
	Help   string   `json:"help"`
}

// Series lists every metric family the registry holds (the process's
// aside), in the order they were made.
func (m *Registry) Series() []Series { return slices.Clone(m.series) }

type factory struct {
	reg    *prometheus.Registry
	series *[]Series
}

func (f factory) counter(name, help string, labels ...string) *prometheus.CounterVec {
	*f.series = append(*f.series, Series{Namespace + "_" + name, "counter", labels, help})
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) gauge(name, help string, labels ...string) *prometheus.GaugeVec {
	*f.series = append(*f.series, Series{Namespace + "_" + name, "gauge", labels, help})
	g := prometheus.NewGaugeVec(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help}, labels)
	f.reg.MustRegister(g)
	return g
}

func (f factory) plainCounter(name, help string) prometheus.Counter {
	*f.series = append(*f.series, Series{Namespace + "_" + name, "counter", nil, help})
	c := prometheus.NewCounter(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) plainGauge(name, help string) prometheus.Gauge {
	*f.series = append(*f.series, Series{Namespace + "_" + name, "gauge", nil, help})
	g := prometheus.NewGauge(prometheus.GaugeOpts{Namespace: Namespace, Name: name, Help: help})
	f.reg.MustRegister(g)
	return g
}

func add(c prometheus.Counter, n int) {
	if n > 0 {
		c.Add(float64(n))
	}
}

func add64(c prometheus.Counter, n int64) {
	if n > 0 {
		c.Add(float64(n))
	}
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

// Put counts what one or more PutRecords calls of the producer did (a
// delta: the stats of the calls since the last Put), ending at now.
func (m *Registry) Put(streamName string, now time.Time, s stream.PutStats) {
	if m == nil {
		return
	}
	if s.Acknowledged > 0 {
		m.lastAck.WithLabelValues(streamName).Set(unix(now))
	}
	add(m.producerRecords.WithLabelValues(streamName, "acknowledged"), s.Acknowledged)
	add(m.producerRecords.WithLabelValues(streamName, "rejected"), s.Rejected)
	add(m.producerRecords.WithLabelValues(streamName, "failed"), s.Failed)
	for _, reason := range sortedKeys(s.RejectedReasons) {
		add(m.producerRejected.WithLabelValues(streamName, reason), s.RejectedReasons[reason])
	}
	add(m.producerThrottle.WithLabelValues(streamName), s.Throttled)
	add(m.producerRetried.WithLabelValues(streamName), s.Retried)
	add(m.producerCalls.WithLabelValues(streamName), s.Calls)
	// Touch the series so that they exist (at 0) from the first call:
	// rate() and increase() need a first sample.
	m.producerThrottle.WithLabelValues(streamName)
	m.producerRecords.WithLabelValues(streamName, "acknowledged")
}

// Consumed counts what the consumer did (a delta: the stats of the
// passes since the last Consumed).
func (m *Registry) Consumed(streamName string, s stream.ConsumeStats) {
	if m == nil {
		return
	}
	add(m.consumerRead.WithLabelValues(streamName), s.Records)
	add(m.consumerRecords.WithLabelValues(streamName, "raw"), s.Valid)
	add(m.consumerRecords.WithLabelValues(streamName, "quarantined"), s.Invalid)
	add(m.consumerRecords.WithLabelValues(streamName, "duplicate"), s.Duplicates)
	add(m.consumerConflicts.WithLabelValues(streamName), s.Conflicts)
	add(m.consumerObjects.WithLabelValues(streamName, "written"), s.Objects)
	add(m.consumerObjects.WithLabelValues(streamName, "present"), s.Existing)
	add(m.consumerCkpts.WithLabelValues(streamName), s.Checkpoints)
	add(m.consumerThrottle.WithLabelValues(streamName), s.Throttled)
	for _, reason := range sortedKeys(s.InvalidReasons) {
		add(m.quarantined.WithLabelValues(streamName, reason), s.InvalidReasons[reason])
	}
	for _, o := range []string{"raw", "quarantined", "duplicate"} {
		m.consumerRecords.WithLabelValues(streamName, o)
	}
	m.consumerRead.WithLabelValues(streamName)
}

// ConsumerTotals counts what a consumer did from its running totals
// (stream.Consumer.Stats): the difference since the last call for the
// stream. Totals lower than the last (a new consumer) count from zero.
func (m *Registry) ConsumerTotals(streamName string, total stream.ConsumeStats) {
	if m == nil {
		return
	}
	m.mu.Lock()
	last := m.consumed[streamName]
	if total.Records < last.Records || total.Valid < last.Valid || total.Invalid < last.Invalid {
		last = stream.ConsumeStats{}
	}
	m.consumed[streamName] = total
	m.mu.Unlock()
	d := total.Since(last)
	m.Consumed(streamName, d)
}

// CaughtUp records that the consumer read every shard it holds to the
// tip at now (a pass that ended without error).
func (m *Registry) CaughtUp(streamName string, now time.Time) {
	if m == nil {
		return
	}
	m.caughtUp.WithLabelValues(streamName).Set(unix(now))
}

// Shards sets the per-shard gauges from the consumer's view of its shards
// at now: the iterator age of each shard it reads, and when each shard's
// checkpoint last moved (a checkpoint first seen counts as moved now).
func (m *Registry) Shards(streamName string, now time.Time, shards []stream.ShardState) {
	if m == nil {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	var leased, held, finished int
	for _, s := range shards {
		switch {
		case s.Leased && s.Finished:
			finished++
		case s.Leased:
			leased++
		case s.HeldBy != "":
			held++
		}
		if !s.Leased {
			m.iteratorAge.DeleteLabelValues(streamName, s.ShardID)
			continue
		}
		if s.Finished {
			// A closed shard read to its end lags nothing.
			m.iteratorAge.WithLabelValues(streamName, s.ShardID).Set(0)
		} else {
			m.iteratorAge.WithLabelValues(streamName, s.ShardID).Set(float64(s.MillisBehindLatest) / 1000)
		}
		k := shardKey{streamName, s.ShardID}
		if last, seen := m.checkpoints[k]; !seen || last != s.Checkpoint {
			m.checkpoints[k] = s.Checkpoint
			m.checkpointTime.WithLabelValues(streamName, s.ShardID).Set(unix(now))
		}
	}
	m.shardsLeased.WithLabelValues(streamName, "leased").Set(float64(leased))
	m.shardsLeased.WithLabelValues(streamName, "held").Set(float64(held))
	m.shardsLeased.WithLabelValues(streamName, "finished").Set(float64(finished))
}

// Ingested counts one batch ingestion run of source ("fakestore") that
// ended at now, and the state its breaker was left in.
func (m *Registry) Ingested(source string, now time.Time, res ingest.Result, breaker ingest.BreakerState) {
	if m == nil {
		return
	}
	status := string(res.Status)
	if status == "" {
		status = string(ingest.StatusFailed)
	}
	m.ingestRuns.WithLabelValues(source, status).Inc()
	for _, st := range []ingest.Status{ingest.StatusCommitted, ingest.StatusUnchanged, ingest.StatusFailed} {
		m.ingestRuns.WithLabelValues(source, string(st))
	}
	written := res.Written()
	add(m.ingestObjects.WithLabelValues(source, "written"), written)
	add(m.ingestObjects.WithLabelValues(source, "present"), len(res.Objects)-written)
	if res.Status == ingest.StatusCommitted || res.Status == ingest.StatusUnchanged {
		m.ingestLastOK.WithLabelValues(source).Set(unix(now))
	}
	m.Breaker(source, breaker, 0)
	m.breakerOpened.WithLabelValues(source)
}

// Breaker sets the state of source's circuit breaker and counts opened
// new openings.
func (m *Registry) Breaker(source string, state ingest.BreakerState, opened int) {
	if m == nil {
		return
	}
	v := 0.0
	switch state {
	case ingest.BreakerOpen:
		v = 1
	case ingest.BreakerHalfOpen:
		v = 2
	}
	m.breakerState.WithLabelValues(source).Set(v)
	add(m.breakerOpened.WithLabelValues(source), opened)
}

// SourceObserver returns the ingest.Observer that counts the requests
// one client of source sends, and its breaker's state.
func (m *Registry) SourceObserver(source string) ingest.Observer {
	if m == nil {
		return nil
	}
	// Every endpoint's series, and the runs', exist at 0 before the first
	// request, so that increase() counts the first hour's requests and a
	// first failed run too, and a ratio of two of them compares like with
	// like.
	for _, st := range []ingest.Status{ingest.StatusCommitted, ingest.StatusUnchanged, ingest.StatusFailed} {
		m.ingestRuns.WithLabelValues(source, string(st))
	}
	for _, e := range ingest.Entities {
		for _, o := range []ingest.RequestOutcome{ingest.RequestOK, ingest.RequestRetried, ingest.RequestFailed, ingest.RequestRefused} {
			m.sourceRequests.WithLabelValues(source, "/"+e, string(o))
		}
		m.sourceRetries.WithLabelValues(source, "/"+e)
	}
	return &sourceObserver{m: m, source: source}
}

type sourceObserver struct {
	m      *Registry
	source string
	opened int // the client's breaker openings counted so far
}

func (o *sourceObserver) Request(endpoint string, outcome ingest.RequestOutcome) {
	o.m.sourceRequests.WithLabelValues(o.source, endpoint, string(outcome)).Inc()
	if outcome == ingest.RequestRetried {
		o.m.sourceRetries.WithLabelValues(o.source, endpoint).Inc()
	}
}

func (o *sourceObserver) Breaker(state ingest.BreakerState, opened int) {
	o.m.Breaker(o.source, state, opened-o.opened)
	o.opened = max(o.opened, opened)
}

// Loaded counts what one warehouse load did.
func (m *Registry) Loaded(s warehouse.LoadStats) {
	if m == nil {
		return
	}
	for result, n := range map[string]int{"loaded": s.ObjectsLoaded, "skipped": s.ObjectsSkipped, "uncommitted": s.ObjectsUncommitted, "quarantined": s.ObjectsQuarantined, "held": s.ObjectsHeld} {
		c := m.loadObjects.WithLabelValues(result)
		add(c, n)
	}
	for _, table := range sortedKeys(s.Rows) {
		add64(m.loadRows.WithLabelValues(table), s.Rows[table])
	}
	add64(m.loadRecords.WithLabelValues("rejected"), s.Quarantined)
	add64(m.loadRecords.WithLabelValues("repaired"), s.Repaired)
}

// Transformed counts one transform run that ended at now and sets the
// gauges of its data-quality checks.
func (m *Registry) Transformed(now time.Time, s warehouse.TransformStats) {
	if m == nil {
		return
	}
	status := s.Status
	if status == "" {
		status = "failed"
	}
	m.transformRuns.WithLabelValues(status).Inc()
	for _, st := range []string{"promoted", "blocked", "failed"} {
		m.transformRuns.WithLabelValues(st)
	}
	if status == "promoted" {
		m.lastTransform.WithLabelValues().Set(unix(now))
	}
	for _, table := range sortedKeys(s.Core) {
		ms := s.Core[table]
		add64(m.mergeRows.WithLabelValues(table, "inserted"), ms.Inserted)
		add64(m.mergeRows.WithLabelValues(table, "updated"), ms.Updated)
		add64(m.mergeRows.WithLabelValues(table, "deleted"), ms.Deleted)
		add64(m.mergeRows.WithLabelValues(table, "unchanged"), ms.Unchanged)
	}
	add64(m.lateEvents, s.LateEvents)
	add64(m.daysRebuilt, s.DaysRebuilt)
	m.daysPending.Set(float64(s.DaysPending))
	if s.Watermark != nil {
		m.watermark.WithLabelValues().Set(unix(*s.Watermark))
	}
	if len(s.Checks) > 0 {
		m.checkFailures.Reset()
		m.checkStatus.Reset()
	}
	for _, c := range s.Checks {
		if c.Status == "skipped" {
			continue
		}
		passed := 0.0
		if c.Status == "pass" {
			passed = 1
		}
		m.checkStatus.WithLabelValues(c.Name, string(c.Severity)).Set(passed)
		m.checkFailures.WithLabelValues(c.Name, string(c.Severity)).Set(float64(c.Failures))
	}
}

// Warehouse sets the gauges read from the warehouse's tables: where the
// records it received ended up (warehouse.Accounting) and the event_time
// of the newest event in CORE (nil before any).
func (m *Registry) Warehouse(a warehouse.Accounting, newest *time.Time) {
	if m == nil {
		return
	}
	if newest != nil {
		m.newestEvent.WithLabelValues().Set(unix(*newest))
	}
	m.rejectedStored.Reset()
	for _, c := range a.QuarantinedAtLoad {
		m.rejectedStored.WithLabelValues(c.Name).Set(float64(c.N))
	}
	m.quarantinedKinds.Reset()
	for _, c := range a.Events.QuarantinedBy {
		m.quarantinedKinds.WithLabelValues(c.Name).Set(float64(c.N))
	}
	m.rejectedRows.Reset()
	for _, c := range a.Rejected {
		m.rejectedRows.WithLabelValues(c.Name).Set(float64(c.N))
	}
	m.quarantinedObjs.Set(float64(a.QuarantinedObjects))
	m.rawCopies.Set(float64(a.Events.RawCopies))
	m.pendingEvents.Set(float64(a.Events.Pending))
	m.coreEvents.Set(float64(a.Events.InCore))
}

// ZoneUsage is what one zone of the lake holds.
type ZoneUsage struct {
	Objects int
	Bytes   int64
}

// Zones sets the size of every zone of the lake, as listed.
func (m *Registry) Zones(usage map[string]ZoneUsage) {
	if m == nil {
		return
	}
	for _, zone := range sortedKeys(usage) {
		u := usage[zone]
		m.zoneObjects.WithLabelValues(zone).Set(float64(u.Objects))
		m.zoneBytes.WithLabelValues(zone).Set(float64(u.Bytes))
	}
}

// Step records how long a step took.
func (m *Registry) Step(step string, d time.Duration) {
	if m == nil {
		return
	}
	m.stepDuration.WithLabelValues(step).Observe(d.Seconds())
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// Value returns the current value of the series name with the given
// label pairs ("stream", "clickstream", ...) and whether it exists: a
// counter's or a gauge's value, a histogram's count.
func (m *Registry) Value(name string, labelPairs ...string) (float64, bool) {
	if m == nil {
		return 0, false
	}
	fams, err := m.reg.Gather()
	if err != nil {
		return 0, false
	}
	for _, f := range fams {
		if f.GetName() != name {
			continue
		}
	metric:
		for _, mt := range f.GetMetric() {
			if len(mt.GetLabel())*2 != len(labelPairs) {
				continue
			}
			for i := 0; i+1 < len(labelPairs); i += 2 {
				found := false
				for _, lp := range mt.GetLabel() {
					if lp.GetName() == labelPairs[i] && lp.GetValue() == labelPairs[i+1] {
						found = true
					}
				}
				if !found {
					continue metric
				}
			}
			switch {
			case mt.Counter != nil:
				return mt.GetCounter().GetValue(), true
			case mt.Gauge != nil:
				return mt.GetGauge().GetValue(), true
			case mt.Histogram != nil:
				return float64(mt.GetHistogram().GetSampleCount()), true
			}
		}
	}
	return 0, false
}
