// Package alerts evaluates shoplake's Prometheus alerting rules
// (deploy/prometheus/alerts.yaml) over series sampled on a run's clock,
// with Prometheus's own PromQL engine and rule evaluation: what an
// operator's Prometheus would have fired had it scraped the run.
//
// A Recorder samples a metrics registry at the instants the run changes
// it (each simulated hour, each day's batch); Evaluate lays the samples on
// a scrape grid (a scrape sees the latest sample at or before it, as a
// scrape of a process whose state only changes at those instants would)
// and evaluates every rule at every grid point, `for` durations included.
package alerts

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/model"
	"github.com/prometheus/prometheus/model/histogram"
	"github.com/prometheus/prometheus/model/labels"
	"github.com/prometheus/prometheus/model/rulefmt"
	"github.com/prometheus/prometheus/promql"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/prometheus/prometheus/rules"
	"github.com/prometheus/prometheus/storage"
	"github.com/prometheus/prometheus/tsdb/chunkenc"
	"github.com/prometheus/prometheus/tsdb/chunks"
	"github.com/prometheus/prometheus/util/annotations"

	promrules "github.com/shoplake/shoplake/deploy/prometheus"
)

// ScrapeInterval is the grid Evaluate lays samples on, and the interval
// it evaluates the rules at.
const ScrapeInterval = 15 * time.Minute

// Tail is how long after the last sample the grid goes on, the state held:
// the operator's Prometheus does not stop when the run does, and an alert
// the run's last step caused fires within it.
const Tail = time.Hour

// Rule is one alerting rule of the file.
type Rule struct {
	Name     string
	Group    string
	Expr     string
	For      time.Duration
	Severity string
	Summary  string
	// About is its description annotation: what it means.
	About   string
	Runbook string
}

// Rules are the alerting rules of a rules file, parsed and validated.
type Rules struct {
	list   []Rule
	parsed []parser.Expr
	raw    []rulefmt.Rule
}

// Load parses the rules operators deploy (deploy/prometheus/alerts.yaml).
func Load() (*Rules, error) { return Parse("deploy/prometheus/alerts.yaml", promrules.Alerts) }

// Parse parses and validates the rules file content as Prometheus would
// (rulefmt), naming file in every error.
func Parse(file string, content []byte) (*Rules, error) {
	p := parser.NewParser(parser.Options{})
	groups, errs := rulefmt.Parse(content, false, model.UTF8Validation, p, slog.New(slog.DiscardHandler))
	if len(errs) > 0 {
		var msgs []string
		for _, e := range errs {
			msgs = append(msgs, e.Error())
		}
		return nil, fmt.Errorf("%s: %s", file, strings.Join(msgs, "; "))
	}
	rs := &Rules{}
	for _, g := range groups.Groups {
		for _, r := range g.Rules {
			if r.Alert == "" {
				continue // a recording rule
			}
			expr, err := p.ParseExpr(r.Expr)
			if err != nil {
				return nil, fmt.Errorf("%s: alert %s: %w", file, r.Alert, err)
			}
			rs.list = append(rs.list, Rule{Name: r.Alert, Group: g.Name, Expr: r.Expr, For: time.Duration(r.For),
				Severity: r.Labels["severity"], Summary: r.Annotations["summary"], About: r.Annotations["description"], Runbook: r.Annotations["runbook_url"]})
			rs.parsed = append(rs.parsed, expr)
			rs.raw = append(rs.raw, r)
		}
	}
	return rs, nil
}

// List returns the alerting rules in file order.
func (rs *Rules) List() []Rule { return slices.Clone(rs.list) }

// Names returns the alerts' names in file order.
func (rs *Rules) Names() []string {
	out := make([]string, len(rs.list))
	for i, r := range rs.list {
		out[i] = r.Name
	}
	return out
}

// Metrics returns, for each alert, the names of the series its
// expression reads.
func (rs *Rules) Metrics() map[string][]string {
	out := map[string][]string{}
	for i, expr := range rs.parsed {
		seen := map[string]bool{}
		parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
			if vs, ok := n.(*parser.VectorSelector); ok && vs.Name != "" && !seen[vs.Name] {
				seen[vs.Name] = true
				out[rs.list[i].Name] = append(out[rs.list[i].Name], vs.Name)
			}
			return nil
		})
	}
	return out
}

// Recorder keeps samples of a registry taken at instants of a run's clock.
type Recorder struct {
	g prometheus.Gatherer

	mu    sync.Mutex
	snaps []snapshot
}

type snapshot struct {
	at     time.Time
	series []series
}

type series struct {
	lset  labels.Labels
	value float64
}

// NewRecorder returns a recorder of g.
func NewRecorder(g prometheus.Gatherer) *Recorder { return &Recorder{g: g} }

// Sample gathers the registry as it is at at. Instants must not go back;
// a sample at the same instant as the last replaces it.
func (r *Recorder) Sample(at time.Time) error {
	fams, err := r.g.Gather()
	if err != nil {
		return fmt.Errorf("sample metrics: %w", err)
	}
	snap := snapshot{at: at}
	for _, f := range fams {
		for _, m := range f.GetMetric() {
			snap.series = append(snap.series, flatten(f.GetName(), f.GetType(), m)...)
		}
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.snaps); n > 0 {
		switch last := r.snaps[n-1].at; {
		case at.Before(last):
			return fmt.Errorf("sample metrics at %s: before the last sample (%s)", at.Format(time.RFC3339), last.Format(time.RFC3339))
		case at.Equal(last):
			r.snaps[n-1] = snap
			return nil
		}
	}
	r.snaps = append(r.snaps, snap)
	return nil
}

// flatten turns one metric into the series a scrape stores (a histogram
// into its _bucket, _sum and _count series).
func flatten(name string, typ dto.MetricType, m *dto.Metric) []series {
	base := labels.NewBuilder(labels.EmptyLabels())
	for _, lp := range m.GetLabel() {
		base.Set(lp.GetName(), lp.GetValue())
	}
	with := func(n string, extra ...string) labels.Labels {
		b := labels.NewBuilder(base.Labels())
		b.Set(labels.MetricName, n)
		for i := 0; i+1 < len(extra); i += 2 {
			b.Set(extra[i], extra[i+1])
		}
		return b.Labels()
	}
	switch typ {
	case dto.MetricType_COUNTER:
		return []series{{with(name), m.GetCounter().GetValue()}}
	case dto.MetricType_GAUGE:
		return []series{{with(name), m.GetGauge().GetValue()}}
	case dto.MetricType_UNTYPED:
		return []series{{with(name), m.GetUntyped().GetValue()}}
	case dto.MetricType_HISTOGRAM:
		h := m.GetHistogram()
		out := []series{{with(name + "_sum"), h.GetSampleSum()}, {with(name + "_count"), float64(h.GetSampleCount())}}
		for _, b := range h.GetBucket() {
			out = append(out, series{with(name+"_bucket", "le", strconv.FormatFloat(b.GetUpperBound(), 'g', -1, 64)), float64(b.GetCumulativeCount())})
		}
		return append(out, series{with(name+"_bucket", "le", "+Inf"), float64(h.GetSampleCount())})
	}
	return nil
}

// Fired is one alert that fired during a run.
type Fired struct {
	Name     string `json:"name"`
	Severity string `json:"severity"`
	// First is the first evaluation at which it was firing.
	First time.Time `json:"first"`
	// Summary is its summary annotation, rendered at First.
	Summary string `json:"summary"`
	// Labels are the alert's labels at First, its name and severity
	// aside.
	Labels map[string]string `json:"labels,omitempty"`
}

// Evaluate evaluates every rule over the recorded samples, on the scrape
// grid from the first sample to Tail after the last, and returns the
// alerts that fired, in the rules' order (each once, at its first firing).
func (rs *Rules) Evaluate(ctx context.Context, r *Recorder) ([]Fired, error) {
	r.mu.Lock()
	snaps := slices.Clone(r.snaps)
	r.mu.Unlock()
	if len(snaps) == 0 {
		return nil, nil
	}
	start := snaps[0].at.Truncate(ScrapeInterval)
	end := snaps[len(snaps)-1].at.Add(Tail)
	db := newMemStorage()
	i := 0
	for t := start; !t.After(end); t = t.Add(ScrapeInterval) {
		for i+1 < len(snaps) && !snaps[i+1].at.After(t) {
			i++
		}
		if snaps[i].at.After(t) {
			continue // before the first sample
		}
		for _, s := range snaps[i].series {
			db.add(s.lset, t.UnixMilli(), s.value)
		}
	}
	engine := promql.NewEngine(promql.EngineOpts{MaxSamples: 50_000_000, Timeout: time.Minute, LookbackDelta: 5 * time.Minute})
	query := rules.EngineQueryFunc(engine, db)
	alerting := make([]*rules.AlertingRule, len(rs.list))
	for k, raw := range rs.raw {
		alerting[k] = rules.NewAlertingRule(raw.Alert, rs.parsed[k], time.Duration(raw.For), time.Duration(raw.KeepFiringFor),
			labels.FromMap(raw.Labels), labels.FromMap(raw.Annotations), labels.EmptyLabels(), "", true, slog.New(slog.DiscardHandler))
	}
	first := map[string]Fired{}
	for t := start; !t.After(end); t = t.Add(ScrapeInterval) {
		for k, ar := range alerting {
			if _, err := ar.Eval(ctx, 0, t, query, nil, 0); err != nil {
				return nil, fmt.Errorf("evaluate alert %s at %s: %w", ar.Name(), t.Format(time.RFC3339), err)
			}
			if _, done := first[ar.Name()]; done {
				continue
			}
			for _, a := range ar.ActiveAlerts() {
				if a.State != rules.StateFiring {
					continue
				}
				f := Fired{Name: ar.Name(), Severity: rs.list[k].Severity, First: t, Summary: a.Annotations.Get("summary"), Labels: map[string]string{}}
				a.Labels.Range(func(l labels.Label) {
					if l.Name != labels.AlertName && l.Name != "severity" {
						f.Labels[l.Name] = l.Value
					}
				})
				first[ar.Name()] = f
				break
			}
		}
	}
	var out []Fired
	for _, name := range rs.Names() {
		if f, ok := first[name]; ok {
			out = append(out, f)
		}
	}
	return out, nil
}

// memStorage is an in-memory storage.Queryable of float samples.
type memStorage struct {
	series map[string]*memSeries
}

type memSeries struct {
	lset    labels.Labels
	samples []fsample
}

func newMemStorage() *memStorage { return &memStorage{series: map[string]*memSeries{}} }

func (m *memStorage) add(lset labels.Labels, t int64, v float64) {
	key := lset.String()
	s, ok := m.series[key]
	if !ok {
		s = &memSeries{lset: lset}
		m.series[key] = s
	}
	s.samples = append(s.samples, fsample{t: t, f: v})
}

func (m *memStorage) Querier(mint, maxt int64) (storage.Querier, error) {
	return &memQuerier{m: m, mint: mint, maxt: maxt}, nil
}

type memQuerier struct {
	m          *memStorage
	mint, maxt int64
}

func (q *memQuerier) Select(_ context.Context, _ bool, _ *storage.SelectHints, matchers ...*labels.Matcher) storage.SeriesSet {
	var out []storage.Series
	for _, s := range q.m.series {
		if !matches(s.lset, matchers) {
			continue
		}
		// Samples are added in time order: the range is a slice of them.
		lo, _ := slices.BinarySearchFunc(s.samples, q.mint, func(x fsample, t int64) int { return cmp.Compare(x.t, t) })
		hi, found := slices.BinarySearchFunc(s.samples, q.maxt, func(x fsample, t int64) int { return cmp.Compare(x.t, t) })
		if found {
			hi++
		}
		samples := make([]chunks.Sample, 0, max(hi-lo, 0))
		for _, x := range s.samples[lo:max(hi, lo)] {
			samples = append(samples, x)
		}
		if len(samples) > 0 {
			out = append(out, storage.NewListSeries(s.lset, samples))
		}
	}
	sort.Slice(out, func(i, j int) bool { return labels.Compare(out[i].Labels(), out[j].Labels()) < 0 })
	return &listSet{list: out, i: -1}
}

func matches(lset labels.Labels, ms []*labels.Matcher) bool {
	for _, m := range ms {
		if !m.Matches(lset.Get(m.Name)) {
			return false
		}
	}
	return true
}

func (q *memQuerier) LabelValues(_ context.Context, name string, _ *storage.LabelHints, matchers ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	seen := map[string]bool{}
	for _, s := range q.m.series {
		if v := s.lset.Get(name); v != "" && matches(s.lset, matchers) {
			seen[v] = true
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out, nil, nil
}

func (q *memQuerier) LabelNames(_ context.Context, _ *storage.LabelHints, matchers ...*labels.Matcher) ([]string, annotations.Annotations, error) {
	seen := map[string]bool{}
	for _, s := range q.m.series {
		if matches(s.lset, matchers) {
			s.lset.Range(func(l labels.Label) { seen[l.Name] = true })
		}
	}
	out := make([]string, 0, len(seen))
	for v := range seen {
		out = append(out, v)
	}
	sort.Strings(out)
	return out, nil, nil
}

func (q *memQuerier) Close() error { return nil }

type listSet struct {
	list []storage.Series
	i    int
}

func (s *listSet) Next() bool                        { s.i++; return s.i < len(s.list) }
func (s *listSet) At() storage.Series                { return s.list[s.i] }
func (s *listSet) Err() error                        { return nil }
func (s *listSet) Warnings() annotations.Annotations { return nil }

// fsample is one float sample (chunks.Sample).
type fsample struct {
	t int64
	f float64
}

func (s fsample) T() int64                      { return s.t }
func (s fsample) ST() int64                     { return 0 }
func (s fsample) F() float64                    { return s.f }
func (s fsample) H() *histogram.Histogram       { return nil }
func (s fsample) FH() *histogram.FloatHistogram { return nil }
func (s fsample) Type() chunkenc.ValueType      { return chunkenc.ValFloat }
func (s fsample) Copy() chunks.Sample           { return s }
