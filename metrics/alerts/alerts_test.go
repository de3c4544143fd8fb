package alerts_test

import (
	"context"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shoplake/shoplake/ingest"
	"github.com/shoplake/shoplake/metrics"
	"github.com/shoplake/shoplake/metrics/alerts"
	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/warehouse"
)

func load(t *testing.T) *alerts.Rules {
	t.Helper()
	rs, err := alerts.Load()
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

// Every alert is one an operator can act on: a severity, a summary, a
// description, and a runbook section that exists.
func TestRules_EveryAlertHasItsRunbook(t *testing.T) {
	runbook, err := os.ReadFile("../../docs/RUNBOOK.md")
	if err != nil {
		t.Fatal(err)
	}
	headings := regexp.MustCompile(`(?m)^## (Shoplake[A-Za-z]+)$`).FindAllStringSubmatch(string(runbook), -1)
	var sections []string
	for _, h := range headings {
		sections = append(sections, h[1])
	}
	rs := load(t)
	for _, r := range rs.List() {
		if r.Severity != "page" && r.Severity != "warning" {
			t.Errorf("%s: severity %q, want page or warning", r.Name, r.Severity)
		}
		if r.Summary == "" || r.About == "" {
			t.Errorf("%s: a summary and a description are required", r.Name)
		}
		if want := "docs/RUNBOOK.md#" + strings.ToLower(r.Name); r.Runbook != want {
			t.Errorf("%s: runbook_url %q, want %q", r.Name, r.Runbook, want)
		}
		if !slices.Contains(sections, r.Name) {
			t.Errorf("docs/RUNBOOK.md has no section \"## %s\"", r.Name)
		}
	}
	cloudWatchOnly := regexp.MustCompile(`(?m)^## (Shoplake[A-Za-z]+)\n\n\*CloudWatch only\*`).FindAllStringSubmatch(string(runbook), -1)
	for _, s := range sections {
		exempt := false
		for _, c := range cloudWatchOnly {
			exempt = exempt || c[1] == s
		}
		if !exempt && !slices.Contains(rs.Names(), s) {
			t.Errorf("docs/RUNBOOK.md has a section for %s, which deploy/prometheus/alerts.yaml does not define", s)
		}
	}
}

// Every series an alert reads is one the pipeline exports: a misspelt
// name would make an alert that never fires.
func TestRules_ReadSeriesThatExist(t *testing.T) {
	var names []string
	for _, s := range metrics.New().Series() {
		names = append(names, s.Name)
		if s.Type == "histogram" {
			names = append(names, s.Name+"_bucket", s.Name+"_sum", s.Name+"_count")
		}
	}
	for alert, used := range load(t).Metrics() {
		for _, name := range used {
			if !slices.Contains(names, name) {
				t.Errorf("%s reads %s, which metrics.New() does not register", alert, name)
			}
		}
	}
}

func TestParse_RefusesABrokenFile(t *testing.T) {
	for name, content := range map[string]string{
		"bad expression": "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: rate(x[5m]\n",
		"unknown field":  "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: up == 0\n        severity: page\n",
	} {
		if _, err := alerts.Parse("alerts.yaml", []byte(content)); err == nil || !strings.Contains(err.Error(), "alerts.yaml") {
			t.Errorf("%s: %v, want an error naming the file", name, err)
		}
	}
}

// The rules over a recording: a quiet pipeline fires nothing; a failed
// ingestion fires ShoplakeSourceDown at the first scrape after it, and
// nothing else.
func TestEvaluate(t *testing.T) {
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	run := func(failAt int) []alerts.Fired {
		m := metrics.New()
		rec := alerts.NewRecorder(m.Gatherer())
		for h := 0; h <= 48; h++ {
			now := start.Add(time.Duration(h) * time.Hour)
			m.Put("clicks", now, stream.PutStats{Acknowledged: 100, Calls: 1})
			m.Consumed("clicks", stream.ConsumeStats{Records: 100, Valid: 100})
			m.CaughtUp("clicks", now)
			if h%24 == 0 || h == failAt {
				res := ingest.Result{Status: ingest.StatusCommitted}
				if h == failAt {
					res.Status = ingest.StatusFailed
				}
				m.Ingested("fakestore", now, res, ingest.BreakerClosed)
			}
			if err := rec.Sample(now); err != nil {
				t.Fatal(err)
			}
		}
		fired, err := load(t).Evaluate(context.Background(), rec)
		if err != nil {
			t.Fatal(err)
		}
		return fired
	}
	if fired := run(-1); len(fired) != 0 {
		t.Errorf("a quiet pipeline fired %+v", fired)
	}
	fired := run(30)
	if len(fired) != 1 || fired[0].Name != "ShoplakeSourceDown" {
		t.Fatalf("fired %+v, want ShoplakeSourceDown alone", fired)
	}
	if want := start.Add(30 * time.Hour); !fired[0].First.Equal(want) {
		t.Errorf("ShoplakeSourceDown first fired at %s, want %s (the scrape after the failure)", fired[0].First, want)
	}
	if fired[0].Labels["source"] != "fakestore" || !strings.Contains(fired[0].Summary, "fakestore") {
		t.Errorf("fired %+v: want the source in its labels and summary", fired[0])
	}
}

// Samples cannot go back in time; one at the same instant replaces the last.
func TestRecorder_Order(t *testing.T) {
	rec := alerts.NewRecorder(metrics.New().Gatherer())
	t0 := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	if err := rec.Sample(t0); err != nil {
		t.Fatal(err)
	}
	if err := rec.Sample(t0); err != nil {
		t.Fatalf("a second sample at the same instant: %v", err)
	}
	if err := rec.Sample(t0.Add(-time.Second)); err == nil {
		t.Fatal("a sample before the last was accepted")
	}
}

// The alerts no scenario makes fire (the simulated consumer is always
// caught up at a tick; the scenarios' warehouses do not fail; every run
// rebuilds the days it queues) fire on recordings that show their
// failure, and only they.
func TestEvaluate_AlertsWithoutAScenario(t *testing.T) {
	start := time.Date(2026, 1, 5, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		alert string
		feed  func(m *metrics.Registry, h int, now time.Time)
	}{
		{"ShoplakeConsumerLag", func(m *metrics.Registry, h int, now time.Time) {
			age := int64(0)
			if h >= 30 && h < 34 {
				age = 45 * 60 * 1000 // 45 minutes behind for four hours
			}
			m.Shards("clicks", now, []stream.ShardState{{ShardID: "shardId-000000000000", Leased: true, Checkpoint: fmt.Sprint(h), MillisBehindLatest: age}})
		}},
		{"ShoplakeTransformFailed", func(m *metrics.Registry, h int, now time.Time) {
			if h == 24 {
				m.Transformed(now, warehouse.TransformStats{Status: warehouse.StatusFailed})
			}
		}},
		{"ShoplakeBackfillBacklog", func(m *metrics.Registry, h int, now time.Time) {
			if h == 24 {
				m.Transformed(now, warehouse.TransformStats{Status: warehouse.StatusPromoted, DaysPending: 3})
			}
		}},
	} {
		t.Run(c.alert, func(t *testing.T) {
			m := metrics.New()
			rec := alerts.NewRecorder(m.Gatherer())
			for h := 0; h <= 48; h++ {
				now := start.Add(time.Duration(h) * time.Hour)
				m.Put("clicks", now, stream.PutStats{Acknowledged: 100, Calls: 1})
				m.Consumed("clicks", stream.ConsumeStats{Records: 100, Valid: 100})
				m.CaughtUp("clicks", now)
				if h%24 == 0 {
					m.Ingested("fakestore", now, ingest.Result{Status: ingest.StatusCommitted}, ingest.BreakerClosed)
				}
				c.feed(m, h, now)
				if err := rec.Sample(now); err != nil {
					t.Fatal(err)
				}
			}
			fired, err := load(t).Evaluate(context.Background(), rec)
			if err != nil {
				t.Fatal(err)
			}
			if len(fired) != 1 || fired[0].Name != c.alert {
				t.Fatalf("fired %+v, want %s alone", fired, c.alert)
			}
		})
	}
}
