package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/shoplake/shoplake/scenarios"
)

// writeScenario writes a scenario file into a temporary directory.
func writeScenario(t *testing.T, name, body string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

const smallScenario = `name: small_dups
seed: 5
world:
  users: 30
  days: 1
faults:
  - kind: client_duplicates
    rate: 0.1
`

func TestScenarioRunCmd(t *testing.T) {
	file := writeScenario(t, "small_dups.yaml", smallScenario)
	decode := func(t *testing.T, out string) scenarios.Report {
		t.Helper()
		var reps []scenarios.Report
		if err := json.Unmarshal([]byte(out), &reps); err != nil {
			t.Fatalf("--json output is not a JSON array of reports: %v\n%s", err, out)
		}
		if len(reps) != 1 || !reps[0].OK {
			t.Fatalf("reports = %+v", reps)
		}
		return reps[0]
	}
	t.Run("Text", func(t *testing.T) {
		t.Parallel()
		out, stderr, err := execute(t, "scenario", "run", file)
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		if !strings.HasPrefix(out, "PASS small_dups  seed 5") || !strings.Contains(out, "client_duplicates×") {
			t.Fatalf("output:\n%s", out)
		}
		if !strings.Contains(stderr, "small_dups: day 1/1 (") {
			t.Errorf("no progress on stderr:\n%s", stderr)
		}
	})
	t.Run("JSON", func(t *testing.T) {
		t.Parallel()
		out, stderr, err := execute(t, "scenario", "run", file, "--json")
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		if rep := decode(t, out); rep.Seed != 5 || rep.Scenario != "small_dups" {
			t.Fatalf("report: scenario %s, seed %d", rep.Scenario, rep.Seed)
		}
	})
	t.Run("SeedFlag", func(t *testing.T) {
		t.Parallel()
		out, stderr, err := execute(t, "scenario", "run", file, "--json", "--seed", "6")
		if err != nil {
			t.Fatalf("%v\n%s", err, stderr)
		}
		if rep := decode(t, out); rep.Seed != 6 || !strings.Contains(rep.Replay, "--seed 6") {
			t.Fatalf("report: seed %d, replay %q", rep.Seed, rep.Replay)
		}
	})
}

func TestScenarioRunCmdErrors(t *testing.T) {
	good := writeScenario(t, "good.yaml", smallScenario)
	t.Run("UnknownKind", func(t *testing.T) {
		bad := writeScenario(t, "bad.yaml", strings.Replace(smallScenario, "client_duplicates", "meteor_strike", 1))
		// The bad file is refused before the good one runs.
		_, _, err := execute(t, "scenario", "run", good, bad)
		if err == nil || !strings.Contains(err.Error(), bad) || !strings.Contains(err.Error(), "unknown kind") {
			t.Fatalf("err = %v, want one naming %s and the unknown kind", err, bad)
		}
	})
	t.Run("MissingFile", func(t *testing.T) {
		missing := filepath.Join(t.TempDir(), "nope.yaml")
		_, _, err := execute(t, "scenario", "run", missing)
		if err == nil || !strings.Contains(err.Error(), missing) {
			t.Fatalf("err = %v, want one naming %s", err, missing)
		}
	})
	t.Run("DirWithTwoFiles", func(t *testing.T) {
		_, _, err := execute(t, "scenario", "run", good, good, "--data-dir", t.TempDir())
		if err == nil || !strings.Contains(err.Error(), "--data-dir") {
			t.Fatalf("err = %v, want a refusal of --dir", err)
		}
	})
	t.Run("NoFile", func(t *testing.T) {
		if _, _, err := execute(t, "scenario", "run"); err == nil {
			t.Fatal("scenario run without a file was accepted")
		}
	})
}

func TestScenarioSwarmCmd(t *testing.T) {
	save := t.TempDir()
	out, stderr, err := execute(t, "scenario", "swarm", "--seeds", "2", "--first-seed", "3", "--save-dir", save)
	var verdicts []string
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "PASS ") || strings.HasPrefix(line, "FAIL ") {
			verdicts = append(verdicts, line)
		}
	}
	if len(verdicts) != 2 || !strings.Contains(verdicts[0], "swarm-3  seed 3") || !strings.Contains(verdicts[1], "swarm-4  seed 4") ||
		!strings.Contains(verdicts[0], "faults: ") {
		t.Fatalf("want a line per seed, got %q\n%s", verdicts, out)
	}
	if !strings.Contains(out, "SWARM: seeds run 2, ") || !strings.Contains(out, "firings") ||
		!regexp.MustCompile(`faults drawn \d+, fired \d+ \(\d+\.\d%\)`).MatchString(out) || !strings.Contains(out, "\nnot fired: ") {
		t.Fatalf("no summary with the faults drawn and fired:\n%s", out)
	}
	failed := strings.Contains(out, "\nFAIL ") || strings.HasPrefix(out, "FAIL ")
	if failed != (err != nil) {
		t.Fatalf("a seed failed: %v, err = %v\n%s\n%s", failed, err, out, stderr)
	}
	if failed {
		// A failure the swarm found in the pipeline is for the scenarios
		// tests to catch; this one checks that the command reports it.
		saved, _ := filepath.Glob(filepath.Join(save, "swarm-*.yaml"))
		if len(saved) == 0 || !strings.Contains(stderr, "replay: shoplake scenario swarm --first-seed") {
			t.Fatalf("a failed seed was not saved or given a replay:\n%s", stderr)
		}
		for _, f := range saved {
			if _, err := scenarios.Load(f); err != nil {
				t.Errorf("saved scenario does not load: %v", err)
			}
		}
		t.Logf("swarm seeds failed:\n%s", out)
	}
}

// TestScenarioSwarmCmd_JSON: --json prints the summary and the reports as
// one object, every fault drawn fired; --min-fired is a percentage.
func TestScenarioSwarmCmd_JSON(t *testing.T) {
	out, _, err := execute(t, "scenario", "swarm", "--seeds", "1", "--first-seed", "6", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Summary scenarios.SwarmSummary `json:"summary"`
		Reports []scenarios.Report     `json:"reports"`
	}
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("--json output is not the object: %v\n%s", err, out)
	}
	s := got.Summary
	if len(got.Reports) != 1 || s.Seeds != 1 || s.Drawn != len(got.Reports[0].Faults) || s.Drawn == 0 || s.Fired != s.Drawn || s.FiredRate != 1 || len(s.Kinds) == 0 {
		t.Fatalf("summary %+v of reports %+v", s, got.Reports)
	}
	t.Run("ErrMinFired", func(t *testing.T) {
		_, _, err := execute(t, "scenario", "swarm", "--seeds", "1", "--first-seed", "6", "--min-fired", "101")
		if err == nil || !strings.Contains(err.Error(), "--min-fired 101") {
			t.Fatalf("err = %v, want --min-fired refused", err)
		}
	})
}

func TestScenarioSwarmSave(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "failed")
	path, err := saveDrawn(dir, 11)
	if err != nil {
		t.Fatal(err)
	}
	sc, err := scenarios.Load(path)
	if err != nil {
		t.Fatalf("saved scenario does not load: %v", err)
	}
	want := scenarios.Draw(11)
	if sc.Name != "swarm-11" || sc.Seed != 11 || len(sc.Faults) != len(want.Faults) || sc.World.Users != want.World.Users {
		t.Fatalf("saved %+v, drew %+v", sc, want)
	}
}

func TestScenarioKindsCmd(t *testing.T) {
	out, _, err := execute(t, "scenario", "kinds")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"api_down", "client_duplicates", "consumer_down", "ShoplakeConsumerStalled"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	out, _, err = execute(t, "scenario", "kinds", "--json")
	if err != nil {
		t.Fatal(err)
	}
	var ks struct {
		Kinds  []struct{ Kind, About string }
		Alerts []struct{ Name, Severity, About string }
	}
	if err := json.Unmarshal([]byte(out), &ks); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, out)
	}
	if len(ks.Kinds) != len(scenarios.Kinds()) || ks.Kinds[0].About == "" {
		t.Fatalf("kinds = %+v", ks.Kinds)
	}
	// The alerts a scenario can expect are there too, each with what it means.
	if len(ks.Alerts) < 10 || ks.Alerts[0].Name == "" || ks.Alerts[0].About == "" {
		t.Fatalf("alerts = %+v", ks.Alerts)
	}
}

// Every command that keeps data takes --data-dir, and the commands that
// save failed scenarios take --save-dir; the old spellings still parse.
func TestFlags_OneNameEach(t *testing.T) {
	root := newRootCmd()
	for _, path := range [][]string{{"demo"}, {"serve"}, {"ingest"}, {"consume"}, {"transform"}, {"check"}, {"verify"}, {"produce"}, {"setup"}, {"dashboard"}, {"prune"}, {"cost"}, {"scenario", "run"}} {
		cmd, _, err := root.Find(path)
		if err != nil {
			t.Fatal(err)
		}
		if f := cmd.Flags().Lookup("data-dir"); f == nil || f.Hidden {
			t.Errorf("shoplake %s has no --data-dir", strings.Join(path, " "))
		}
	}
	for _, path := range [][]string{{"scenario", "swarm"}, {"tui"}} {
		cmd, _, _ := root.Find(path)
		if cmd.Flags().Lookup("save-dir") == nil {
			t.Errorf("shoplake %s has no --save-dir", strings.Join(path, " "))
		}
	}
	transform, _, _ := root.Find([]string{"transform"})
	for _, name := range []string{"seed", "users", "days", "start", "realistic", "traffic", "hostile"} {
		if f := transform.Flags().Lookup(name); f == nil || !f.Hidden || len(f.Annotations[oldFlagNote]) == 0 {
			t.Errorf("transform --%s is not marked as changing nothing", name)
		}
	}
}

// config lists the variables set, a secret's value redacted, and every
// variable only when asked.
func TestConfigCmd_SetVariables(t *testing.T) {
	t.Setenv("SHOPLAKE_DATA_DIR", "/tmp/elsewhere")
	t.Setenv("SHOPLAKE_WAREHOUSE_EMAIL_HASH_KEY", "do-not-print-me")
	out, _, err := execute(t, "config")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"data_dir: /tmp/elsewhere", "#   SHOPLAKE_DATA_DIR=/tmp/elsewhere", "#   SHOPLAKE_WAREHOUSE_EMAIL_HASH_KEY=<redacted>"} {
		if !strings.Contains(out, want) {
			t.Errorf("config lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "do-not-print-me") || strings.Contains(out, "SHOPLAKE_SIM_USERS") {
		t.Errorf("config printed a secret or a variable not set:\n%s", out)
	}
	out, _, err = execute(t, "config", "--all-variables")
	if err != nil || !strings.Contains(out, "SHOPLAKE_SIM_USERS") {
		t.Errorf("--all-variables: %v\n%s", err, out)
	}
}
