// Package lambdametrics is the consumer Lambda's share of the pipeline's
// series: the ones metrics.Registry.Consumed feeds, with the same names,
// types and labels, fed from one invocation's stream.LambdaStats.
//
// It exists because the Lambda is a static build without cgo, and package
// metrics imports the warehouse (DuckDB, through cgo) for the statistics
// of its other series. A test holds every family here equal, in name,
// type and label names, to metrics.New()'s family of that name, so that a
// name means one thing wherever it is published (docs/METRICS.md).
package lambdametrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shoplake/shoplake/stream"
)

// Namespace prefixes every series, and is the CloudWatch namespace the
// function publishes them in (metrics.Namespace).
const Namespace = "shoplake"

// Registry holds the series of one invocation: the function makes one per
// invocation, so that each counter is the invocation's count.
type Registry struct {
	reg         *prometheus.Registry
	read        *prometheus.CounterVec
	records     *prometheus.CounterVec
	conflicts   *prometheus.CounterVec
	objects     *prometheus.CounterVec
	quarantined *prometheus.CounterVec
	iteratorAge *prometheus.GaugeVec
}

// New returns an empty Registry.
func New() *Registry {
	r := &Registry{reg: prometheus.NewRegistry()}
	counter := func(name, help string, labels ...string) *prometheus.CounterVec {
		c := prometheus.NewCounterVec(prometheus.CounterOpts{Namespace: Namespace, Name: name, Help: help}, labels)
		r.reg.MustRegister(c)
		return c
	}
	r.read = counter("consumer_records_read_total", "Records in the event the function received.", "stream")
	r.records = counter("consumer_records_total", "Records the function disposed of, by outcome: raw (written to RAW), quarantined (invalid, written to QUARANTINE), duplicate (an exact copy the dedup window dropped).", "stream", "outcome")
	r.conflicts = counter("consumer_conflicting_records_total", "Records written to RAW whose event_id came before with another payload.", "stream")
	r.objects = counter("consumer_objects_total", "RAW and QUARANTINE objects the function wrote (written) or found present from an earlier attempt (present).", "stream", "result")
	r.quarantined = counter("quarantined_records_total", "Invalid records kept out of RAW by the function, by reason.", "stream", "reason")
	r.iteratorAge = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Namespace: Namespace, Name: "consumer_iterator_age_seconds",
		Help: "The invocation's end minus the newest arrival time of the shard's records in its event: how far behind the tip of the shard the function is.",
	}, []string{"stream", "shard"})
	r.reg.MustRegister(r.iteratorAge)
	return r
}

// Invocation counts one invocation of stream.LambdaHandler that ended at
// now, as metrics.Registry.Consumed counts a pass of the consumer: the
// records it read, wrote, quarantined by reason and dropped, the objects
// it wrote or found. Every outcome's series exists, at 0 if nothing
// happened. The checkpoints and the read throttling belong to the event
// source mapping, which the function does not see: not counted.
//
// A shard's iterator age is now minus the newest arrival time of its
// records in the event (stream.LambdaShard.NewestArrival): the age of the
// newest record handed to the function, as AWS defines the function's
// IteratorAge and as MillisBehindLatest measures the CLI consumer's lag (0
// at the tip). A clock behind the stream's gives 0, not a negative age.
func (r *Registry) Invocation(now time.Time, s stream.LambdaStats) {
	add := func(c prometheus.Counter, n int) {
		if n > 0 {
			c.Add(float64(n))
		}
	}
	add(r.read.WithLabelValues(s.Stream), s.Records)
	add(r.records.WithLabelValues(s.Stream, "raw"), s.Valid)
	add(r.records.WithLabelValues(s.Stream, "quarantined"), s.Invalid)
	add(r.records.WithLabelValues(s.Stream, "duplicate"), s.Duplicates)
	add(r.conflicts.WithLabelValues(s.Stream), s.Conflicts)
	add(r.objects.WithLabelValues(s.Stream, "written"), s.Objects)
	add(r.objects.WithLabelValues(s.Stream, "present"), s.Existing)
	for reason, n := range s.InvalidReasons {
		add(r.quarantined.WithLabelValues(s.Stream, reason), n)
	}
	for _, sh := range s.Shards {
		age := max(now.Sub(sh.NewestArrival), 0)
		r.iteratorAge.WithLabelValues(sh.Stream, sh.ShardID).Set(age.Seconds())
	}
}

// Gatherer returns what the function prints (emf.Write).
func (r *Registry) Gatherer() prometheus.Gatherer { return r.reg }
