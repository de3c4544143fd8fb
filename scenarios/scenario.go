package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/internal/tz"
	"github.com/shoplake/shoplake/internal/yamlstrict"
)

// ErrInvalidScenario wraps every problem found in a scenario file.
var ErrInvalidScenario = errors.New("invalid scenario")

// Scenario is one scenario file: a seeded world, the faults injected into
// its run and what must be observed. docs/TESTING.md documents the format;
// scenarios/testdata holds one file per fault kind.
type Scenario struct {
	// Name identifies the scenario in reports (default: the file's name).
	Name string `yaml:"name"`
	// Description says, for a reader who has not seen the code, what goes
	// wrong and what the pipeline must do about it.
	Description string `yaml:"description,omitempty"`
	// Seed fixes the world, the faults' draws and every timestamp.
	Seed   uint64 `yaml:"seed"`
	World  World  `yaml:"world"`
	Stream Stream `yaml:"stream,omitempty"`
	// Faults are injected during the fault phase (the world's days); the
	// heal phase that follows has none.
	Faults []Fault `yaml:"faults,omitempty"`
	Expect Expect  `yaml:"expect,omitempty"`

	// Path is the file the scenario was read from ("" for a drawn one).
	Path string `yaml:"-"`
	// Drawn marks a scenario the swarm drew (and saved): its faults need
	// not all fire, since the swarm draws them blind.
	Drawn bool `yaml:"drawn,omitempty"`
}

// World is the simulated shop and its traffic profile.
type World struct {
	Users    int `yaml:"users"`
	Products int `yaml:"products,omitempty"`
	Days     int `yaml:"days"`
	// Traffic multiplies the sessions per user and day (default 1).
	Traffic float64 `yaml:"traffic,omitempty"`
	// Realistic turns on the realistic shop (statuses, tracking loss, price
	// changes, withdrawals, new products).
	Realistic bool `yaml:"realistic,omitempty"`
	// Spikes are campaigns that multiply traffic for a while.
	Spikes []Spike `yaml:"spikes,omitempty"`
	// Lifecycle makes orders reach their status after they are placed
	// (cancelled within hours, refunded within days, some lines returned;
	// sim.Config.OrderLifecycle), and LookbackDays is how many days of
	// carts each daily batch reads (fakestore.lookback_days; default 1).
	Lifecycle    bool `yaml:"lifecycle,omitempty"`
	LookbackDays int  `yaml:"lookback_days,omitempty"`
	// RefundRate is the share of orders refunded (default: none, or the
	// realistic rate with realistic).
	RefundRate float64 `yaml:"refund_rate,omitempty"`
	// TimeZone is the business time zone of the marts, an IANA name
	// (warehouse.time_zone; default UTC): the oracle counts days in it too.
	TimeZone string `yaml:"time_zone,omitempty"`
}

// Spike multiplies traffic by Multiplier from At for For.
type Spike struct {
	At         Moment   `yaml:"at"`
	For        Duration `yaml:"for"`
	Multiplier float64  `yaml:"multiplier"`
}

// Stream is the Kinesis stream of the run.
type Stream struct {
	// Shards at creation (default 2).
	Shards int `yaml:"shards,omitempty"`
	// Quotas enforces AWS's per-shard throughput quotas (1,000 records/s
	// and 1 MiB/s written, 5 reads/s and 2 MiB/s read).
	Quotas bool `yaml:"quotas,omitempty"`
}

// Fault is one fault of the fault phase. Kind says what it is (see Kinds);
// the other fields say when and how hard, each only where the kind uses it
// (Validate refuses the others).
type Fault struct {
	Kind Kind `yaml:"kind"`
	// At is when it starts ("day 2 00:05": day 1 is the world's first);
	// default, the start of the run. For is how long it lasts (default,
	// until the end of the fault phase).
	At  *Moment  `yaml:"at,omitempty"`
	For Duration `yaml:"for,omitempty"`
	// Rate is the share of requests, records or events it hits.
	Rate float64 `yaml:"rate,omitempty"`
	// Every fires it on every Every-th occasion instead of by Rate.
	Every int `yaml:"every,omitempty"`
	// Count bounds how many times it fires (0: no bound).
	Count int `yaml:"count,omitempty"`
	// Delay is a range of delays (late events) or clock skews (future
	// clocks): "10m..20h".
	Delay *DurationRange `yaml:"delay,omitempty"`
	// Status is the HTTP status an API fault answers (api_down: 0 means the
	// API hangs instead).
	Status int `yaml:"status,omitempty"`
	// RetryAfter is the Retry-After a 429 storm asks for.
	RetryAfter Duration `yaml:"retry_after,omitempty"`
	// Endpoint is the FakeStore route a fault hits ("/carts"; default all).
	Endpoint string `yaml:"endpoint,omitempty"`
	// Variant picks a form of the fault where a kind has several
	// (partial_write: torn or bad_checksum; reshard: split or merge;
	// schema_drift: price_string or missing_field; malformed_records:
	// the malformed kinds, comma-separated).
	Variant string `yaml:"variant,omitempty"`
	// Multiplier is a traffic spike's factor (cost_growth).
	Multiplier float64 `yaml:"multiplier,omitempty"`
}

// Expect lists what a run must observe besides the invariants, which every
// run checks (see Check). Zero fields expect nothing.
type Expect struct {
	// Deterministic runs the scenario a second time in a new directory and
	// expects the same RAW objects and table hashes.
	Deterministic bool `yaml:"deterministic,omitempty"`
	// FailedSteps bounds the steps of the fault phase that fail (a date
	// whose ingestion gives up, a drain that stops) and are caught up in
	// the heal phase.
	FailedSteps *Range `yaml:"failed_steps,omitempty"`
	// Quarantined bounds the records and rows kept in QUARANTINE.
	Quarantined *Range `yaml:"quarantined,omitempty"`
	// Rejected bounds the records the producer refused (over 1 MiB).
	Rejected *Range `yaml:"rejected,omitempty"`
	// LateEvents bounds the events that arrived after their day was final
	// (flagged and backfilled).
	LateEvents *Range `yaml:"late_events,omitempty"`
	// Alerts, when given, are exactly the alerts of
	// deploy/prometheus/alerts.yaml that must fire during the run: each
	// listed must fire and no other may (alerts: [] for none). Absent,
	// the alerts are reported and not checked.
	Alerts []string `yaml:"alerts,omitempty"`
}

// Range bounds a count: min and max, inclusive; a nil max is unbounded.
type Range struct {
	Min int  `yaml:"min,omitempty"`
	Max *int `yaml:"max,omitempty"`
}

func (r *Range) String() string {
	if r.Max == nil {
		return fmt.Sprintf("at least %d", r.Min)
	}
	if *r.Max == r.Min {
		return fmt.Sprintf("exactly %d", r.Min)
	}
	return fmt.Sprintf("%d to %d", r.Min, *r.Max)
}

// Contains reports whether n is within r.
func (r *Range) Contains(n int) bool {
	return n >= r.Min && (r.Max == nil || n <= *r.Max)
}

// Duration is a time.Duration written as Go writes it ("1h30m").
type Duration time.Duration

// UnmarshalYAML reads "1h30m".
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %q is not a duration like 90s, 15m or 1h30m", n.Line, n.Value)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes d as "1h30m0s".
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// DurationRange is "min..max" ("10m..20h"), or one duration for both.
type DurationRange struct{ Min, Max time.Duration }

// UnmarshalYAML reads "10m..20h" or "1h".
func (r *DurationRange) UnmarshalYAML(n *yaml.Node) error {
	lo, hi, ok := strings.Cut(n.Value, "..")
	if !ok {
		hi = lo
	}
	a, err1 := time.ParseDuration(strings.TrimSpace(lo))
	b, err2 := time.ParseDuration(strings.TrimSpace(hi))
	if err1 != nil || err2 != nil || a < 0 || b < a {
		return fmt.Errorf("line %d: %q is not a range of durations like 10m..20h", n.Line, n.Value)
	}
	r.Min, r.Max = a, b
	return nil
}

// MarshalYAML writes "10m0s..20h0m0s".
func (r DurationRange) MarshalYAML() (any, error) { return r.Min.String() + ".." + r.Max.String(), nil }

// Moment is an instant of the simulated run relative to its start: "day 2
// 00:05" is five minutes past midnight at the start of the world's second
// day.
type Moment struct {
	Day    int // 1-based
	Offset time.Duration
}

var momentRE = regexp.MustCompile(`^day\s+(\d+)(?:\s+(\d{1,2}):(\d{2}))?$`)

// ParseMoment reads "day N" or "day N HH:MM".
func ParseMoment(s string) (Moment, error) {
	m := momentRE.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Moment{}, fmt.Errorf("%q is not a moment like \"day 2 00:05\"", s)
	}
	day, _ := strconv.Atoi(m[1])
	var off time.Duration
	if m[2] != "" {
		h, _ := strconv.Atoi(m[2])
		mi, _ := strconv.Atoi(m[3])
		if h > 23 || mi > 59 {
			return Moment{}, fmt.Errorf("%q: no such time of day", s)
		}
		off = time.Duration(h)*time.Hour + time.Duration(mi)*time.Minute
	}
	if day < 1 {
		return Moment{}, fmt.Errorf("%q: days count from 1", s)
	}
	return Moment{Day: day, Offset: off}, nil
}

// UnmarshalYAML reads "day 2 00:05".
func (m *Moment) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseMoment(n.Value)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*m = v
	return nil
}

// MarshalYAML writes "day 2 00:05".
func (m Moment) MarshalYAML() (any, error) { return m.String(), nil }

func (m Moment) String() string {
	return fmt.Sprintf("day %d %02d:%02d", m.Day, int(m.Offset.Hours()), int(m.Offset.Minutes())%60)
}

// Time is m in a world that starts at start.
func (m Moment) Time(start time.Time) time.Time {
	return start.AddDate(0, 0, m.Day-1).Add(m.Offset)
}

// Load reads and validates the scenario file at path.
func Load(path string) (Scenario, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Scenario{}, fmt.Errorf("read scenario: %w", err)
	}
	sc, err := Parse(b)
	if err != nil {
		return Scenario{}, fmt.Errorf("scenario %s: %w", path, err)
	}
	sc.Path = path
	if sc.Name == "" {
		base := path[strings.LastIndexByte(path, '/')+1:]
		sc.Name = strings.TrimSuffix(strings.TrimSuffix(base, ".yaml"), ".yml")
	}
	return sc, nil
}

// Parse reads one scenario from YAML, refusing unknown fields, and
// validates it.
func Parse(b []byte) (Scenario, error) {
	var sc Scenario
	if err := yamlstrict.Decode(b, &sc); err != nil {
		if errors.Is(err, yamlstrict.ErrEmpty) {
			return Scenario{}, fmt.Errorf("%w: the file is empty: a scenario needs at least a name and a world (see scenarios/testdata/baseline.yaml)", ErrInvalidScenario)
		}
		return Scenario{}, fmt.Errorf("%w: %v", ErrInvalidScenario, err)
	}
	return sc, sc.Validate()
}

// Marshal writes sc as YAML that Parse reads back to sc.
func Marshal(sc Scenario) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(sc); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// Limits on a scenario's size, so that a typo does not start a run of
// hours.
const (
	MaxUsers  = 100_000
	MaxDays   = 60
	MaxShards = 64
)

// Validate returns nil if sc can run, or one error, wrapping
// ErrInvalidScenario, that names every problem.
func (sc Scenario) Validate() error {
	var probs []string
	bad := func(format string, args ...any) { probs = append(probs, fmt.Sprintf(format, args...)) }
	w := sc.World
	if w.Users < 1 || w.Users > MaxUsers {
		bad("world.users %d is outside 1..%d", w.Users, MaxUsers)
	}
	if w.Days < 1 || w.Days > MaxDays {
		bad("world.days %d is outside 1..%d", w.Days, MaxDays)
	}
	if w.Products < 0 {
		bad("world.products %d is negative", w.Products)
	}
	if w.Traffic < 0 {
		bad("world.traffic %v is negative", w.Traffic)
	}
	if !(w.RefundRate >= 0 && w.RefundRate <= 1) {
		bad("world.refund_rate %v is outside 0..1", w.RefundRate)
	}
	if _, err := tz.Load(w.TimeZone); err != nil {
		bad("world.time_zone %q: want an IANA time zone name such as UTC, Europe/Madrid or America/New_York", w.TimeZone)
	}
	if w.LookbackDays < 0 || w.LookbackDays > config.MaxLookbackDays {
		bad("world.lookback_days %d is outside 1..%d (0 means 1)", w.LookbackDays, config.MaxLookbackDays)
	}
	for i, s := range w.Spikes {
		if s.Multiplier <= 0 || s.For <= 0 {
			bad("world.spikes[%d]: multiplier and for must be positive", i)
		}
		if s.At.Day > w.Days {
			bad("world.spikes[%d]: %s is after the world's last day (%d)", i, s.At, w.Days)
		}
	}
	if sc.Stream.Shards < 0 || sc.Stream.Shards > MaxShards {
		bad("stream.shards %d is outside 1..%d", sc.Stream.Shards, MaxShards)
	}
	for i, f := range sc.Faults {
		for _, p := range f.problems(w.Days) {
			bad("faults[%d] (%s): %s", i, f.Kind, p)
		}
	}
	probs = append(probs, groupProblems(sc.Faults)...)
	for _, r := range []struct {
		name string
		r    *Range
	}{{"failed_steps", sc.Expect.FailedSteps}, {"quarantined", sc.Expect.Quarantined}, {"rejected", sc.Expect.Rejected}, {"late_events", sc.Expect.LateEvents}} {
		if r.r != nil && (r.r.Min < 0 || (r.r.Max != nil && *r.r.Max < r.r.Min)) {
			bad("expect.%s: min must be >= 0 and max >= min", r.name)
		}
	}
	var unknown []string
	for _, a := range sc.Expect.Alerts {
		if !slices.Contains(alertNames(), a) {
			unknown = append(unknown, strconv.Quote(a))
		}
	}
	if len(unknown) > 0 {
		bad("expect.alerts: %s not in deploy/prometheus/alerts.yaml, whose alerts are %s (shoplake scenario kinds lists them)", strings.Join(unknown, ", "), strings.Join(alertNames(), ", "))
	}
	if len(probs) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s", ErrInvalidScenario, strings.Join(probs, "; "))
}
