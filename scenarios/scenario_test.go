package scenarios_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/scenarios"
)

// TestParse_Refuses: a bad scenario file gets an error that names the
// field and says what is wrong, for every problem at once.
func TestParse_Refuses(t *testing.T) {
	base := "seed: 1\nworld: {users: 10, days: 2}\n"
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"UnknownField", base + "colour: red\n", []string{`unknown key "colour" at the top level`, "the keys there are description, drawn, expect, faults"}},
		{"UnknownKind", base + "faults: [{kind: meteor}]\n", []string{"faults[0] (meteor): unknown kind", "api_down"}},
		{"FieldNotUsed", base + "faults: [{kind: out_of_order, rate: 0.1, status: 503}]\n", []string{"out_of_order does not use status"}},
		{"RateOutOfRange", base + "faults: [{kind: client_duplicates, rate: 1.5}]\n", []string{"rate 1.5 is outside [0,1]"}},
		{"AfterLastDay", base + "faults: [{kind: stale_consumer, at: day 3 10:00}]\n", []string{"after the world's last day (2)"}},
		{"BadMoment", base + "faults: [{kind: stale_consumer, at: tomorrow}]\n", []string{`"tomorrow" is not a moment like "day 2 00:05"`}},
		{"BadDuration", base + "faults: [{kind: api_down, for: soon}]\n", []string{`"soon" is not a duration`}},
		{"SameKnob", base + "faults: [{kind: late_events}, {kind: late_beyond_lateness}]\n", []string{"late_events and late_beyond_lateness cannot be combined"}},
		{"AmbiguousSkew", base + "faults: [{kind: future_clock, delay: 30m..2h}]\n", []string{"depends on the second the record arrives"}},
		{"BadVariant", base + "faults: [{kind: partial_write, variant: shredded}]\n", []string{`variant "shredded" is not one of torn, bad_checksum`}},
		{"UnknownAlert", base + "expect: {alerts: [fire]}\n", []string{`expect.alerts: "fire" not in deploy/prometheus/alerts.yaml`, "ShoplakeSourceDown"}},
		{"EveryProblem", "seed: 1\nworld: {users: 0, days: 0}\nstream: {shards: 99}\n", []string{"world.users 0", "world.days 0", "stream.shards 99"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := scenarios.Parse([]byte(tc.yaml))
			if !errors.Is(err, scenarios.ErrInvalidScenario) {
				t.Fatalf("err = %v, want ErrInvalidScenario", err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not say %q", err, w)
				}
			}
		})
	}
}

// TestParse_Fields reads a file that sets every field and checks where
// each lands.
func TestParse_Fields(t *testing.T) {
	sc, err := scenarios.Parse([]byte(`
name: all
seed: 7
world: {users: 20, products: 8, days: 3, traffic: 1.5, realistic: true,
        spikes: [{at: day 2 10:00, for: 2h, multiplier: 4}]}
stream: {shards: 3, quotas: true}
faults:
  - {kind: api_down, at: day 2 00:05, for: 90m, status: 502}
  - {kind: late_events, rate: 0.2, delay: 10m..20h}
expect:
  deterministic: true
  failed_steps: {min: 1, max: 2}
  alerts: [ShoplakeWriteThrottles]
`))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	f := sc.Faults[0]
	if sc.Seed != 7 || sc.World.Products != 8 || !sc.World.Realistic || sc.Stream.Shards != 3 || !sc.Stream.Quotas ||
		f.At.Time(start) != start.Add(24*time.Hour+5*time.Minute) || time.Duration(f.For) != 90*time.Minute || f.Status != 502 ||
		sc.Faults[1].Delay.Min != 10*time.Minute || sc.Faults[1].Delay.Max != 20*time.Hour ||
		sc.World.Spikes[0].At.Time(start) != start.Add(34*time.Hour) || !sc.Expect.Deterministic ||
		!sc.Expect.FailedSteps.Contains(2) || sc.Expect.FailedSteps.Contains(3) {
		t.Fatalf("parsed %+v", sc)
	}
}

// expect.alerts: [] says that no alert may fire; no alerts key says
// nothing about them.
func TestParse_AlertsNoneVersusUnchecked(t *testing.T) {
	none, err := scenarios.Parse([]byte("name: a\nworld: {users: 10, days: 1}\nexpect: {alerts: []}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if none.Expect.Alerts == nil {
		t.Error("alerts: [] parsed as absent: the baseline's \"no alert fires\" would not be checked")
	}
	unchecked, err := scenarios.Parse([]byte("name: a\nworld: {users: 10, days: 1}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if unchecked.Expect.Alerts != nil {
		t.Errorf("no alerts key parsed as %v", unchecked.Expect.Alerts)
	}
}

// A mistyped key, a key in Go's spelling and an empty file are answered in
// the file's words: the line, the key as written, the keys accepted, and
// never a Go type.
func TestParse_ErrorsInTheFilesWords(t *testing.T) {
	for _, c := range []struct{ in, want string }{
		{"name: x\nworld:\n  user: 10\n  days: 1\n", `line 3: unknown key "user" under world (did you mean "users"?)`},
		{"name: x\nworld: {users: 10, days: 1}\nfaults:\n  - kind: api_down\n    RetryAfter: 2s\n", `line 5: unknown key "RetryAfter" under faults[] (did you mean "retry_after"?)`},
		{"", "the file is empty: a scenario needs at least a name and a world"},
	} {
		_, err := scenarios.Parse([]byte(c.in))
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: %v, want %q", c.in, err, c.want)
		}
		if err != nil && (strings.Contains(err.Error(), "scenarios.") || strings.Contains(err.Error(), "EOF")) {
			t.Errorf("%q: %v names Go", c.in, err)
		}
	}
}
