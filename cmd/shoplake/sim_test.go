package main

import (
	"bufio"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/stream"
)

func TestSimEventsCmd(t *testing.T) {
	t.Run("Clean", func(t *testing.T) {
		out, stderr, err := execute(t, "sim", "events", "--users", "40", "--days", "2", "--seed", "3")
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		n := 0
		sc := bufio.NewScanner(strings.NewReader(out))
		for sc.Scan() {
			if _, err := stream.ParseEvent(sc.Bytes()); err != nil {
				t.Fatalf("line %d is not a valid event: %v", n+1, err)
			}
			n++
		}
		if n == 0 || !strings.Contains(stderr, "records:") {
			t.Fatalf("%d events; stderr:\n%s", n, stderr)
		}
		again, _, err := execute(t, "sim", "events", "--users", "40", "--days", "2", "--seed", "3")
		if err != nil || again != out {
			t.Fatal("the same seed wrote different bytes")
		}
	})
	t.Run("Anomalies", func(t *testing.T) {
		out, stderr, err := execute(t, "sim", "events", "--users", "40", "--days", "2", "--duplicates", "0.2", "--malformed", "0.1")
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		bad := 0
		seen := map[string]int{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			e, err := stream.ParseEvent([]byte(line))
			if err != nil {
				bad++
				continue
			}
			seen[e.EventID]++
		}
		dups := 0
		for _, c := range seen {
			dups += c - 1
		}
		if bad == 0 || dups == 0 {
			t.Fatalf("%d malformed and %d duplicate records, want both > 0", bad, dups)
		}
		if !strings.Contains(stderr, "anomalies:") {
			t.Fatalf("no anomaly summary on stderr:\n%s", stderr)
		}
	})
	t.Run("PastClockAndConflicts", func(t *testing.T) {
		// Clocks behind and conflicting versions: events whose payload
		// time is before they were sent, ids sent again with another
		// payload; both counted on stderr.
		out, stderr, err := execute(t, "sim", "events", "--users", "40", "--days", "2", "--past", "0.1", "--conflicts", "0.1")
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		payloads := map[string]map[string]bool{}
		for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
			e, err := stream.ParseEvent([]byte(line))
			if err != nil {
				t.Fatalf("an invalid record without --malformed: %v", err)
			}
			if payloads[e.EventID] == nil {
				payloads[e.EventID] = map[string]bool{}
			}
			payloads[e.EventID][line] = true
		}
		conflicting := 0
		for _, ps := range payloads {
			if len(ps) > 1 {
				conflicting++
			}
		}
		if conflicting == 0 {
			t.Fatal("no event_id came with two payloads")
		}
		if !strings.Contains(stderr, " past clock, ") || strings.Contains(stderr, " 0 past clock") || strings.Contains(stderr, " 0 conflicting versions") {
			t.Fatalf("the summary does not count clocks behind and conflicting versions:\n%s", stderr)
		}
	})
	t.Run("ErrBadRate", func(t *testing.T) {
		if _, _, err := execute(t, "sim", "events", "--users", "5", "--days", "1", "--late", "1.5"); err == nil {
			t.Fatal("a late rate of 1.5 was accepted")
		}
	})
}

func TestLoadFaults(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "faults.yaml")
	if err := os.WriteFile(good, []byte("- endpoint: /carts\n  kind: \"429\"\n  every: 2\n  retry_after: 3s\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := loadFaults(good, 1, clock.NewSim(clock.Real{}.Now()))
	if err != nil {
		t.Fatal(err)
	}
	if rules := f.Rules(); len(rules) != 1 || rules[0].Endpoint != "/carts" {
		t.Fatalf("rules = %+v", rules)
	}
	bad := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(bad, []byte("- endpoint: /carts\n  kind: \"429\"\n  evrey: 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadFaults(bad, 1, clock.NewSim(clock.Real{}.Now())); err == nil {
		t.Fatal("a misspelt field was accepted")
	}
}

// The anomalies' summary reads as a sentence: no Go map.
func TestAnomalySummary_NoGoMap(t *testing.T) {
	got := anomalySummary(sim.AnomalyCounts{Malformed: 3, MalformedByKind: map[sim.MalformedKind]int{"wrong_type": 1, "invalid_json": 2}})
	if want := "3 malformed (invalid_json 2, wrong_type 1)"; !strings.HasSuffix(got, want) || strings.Contains(got, "map[") {
		t.Errorf("summary %q, want it to end in %q", got, want)
	}
}

// sim serve's help lists every key of a fault rule and every kind, as a
// faults file spells them; a mistyped key is named with the keys accepted.
func TestSimServeHelp_ListsTheFaultRules(t *testing.T) {
	out, _, err := execute(t, "sim", "serve", "--help")
	if err != nil {
		t.Fatal(err)
	}
	for f := range reflect.TypeFor[sim.FaultRule]().Fields() {
		key, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !strings.Contains(out, key) {
			t.Errorf("the help does not name the key %q", key)
		}
	}
	for _, k := range sim.FaultKinds() {
		if !strings.Contains(out, string(k)) {
			t.Errorf("the help does not name the kind %q", k)
		}
	}
	if strings.Contains(out, "sim.FaultRule") {
		t.Error("the help sends the user to a Go type")
	}
	path := filepath.Join(t.TempDir(), "faults.yaml")
	if err := os.WriteFile(path, []byte("- {endpoint: /carts, kind: 5xx, evry: 3}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err = execute(t, "sim", "serve", "--faults", path, "--users", "5", "--days", "1")
	if err == nil || !strings.Contains(err.Error(), `line 1: unknown key "evry" in an item of the list (did you mean "every"?)`) {
		t.Errorf("a mistyped key: %v", err)
	}
}
