package pipeline

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/shoplake/shoplake/internal/config"
)

// ManifestFile is the file in a data directory that records which world
// the directory holds.
const ManifestFile = "shoplake-run.json"

// Manifest fixes the world a data directory belongs to. A run whose world
// differs would mix two shops in one lake and one warehouse, so it is
// refused.
type Manifest struct {
	Seed     uint64 `json:"seed"`
	Start    string `json:"start"`
	Days     int    `json:"days"`
	Users    int    `json:"users"`
	Products int    `json:"products"`
	// The simulator's knobs; omitted when off, so older manifests still match.
	Realistic   bool    `json:"realistic,omitempty"`
	Traffic     float64 `json:"traffic,omitempty"`
	HostileRate float64 `json:"hostile_rate,omitempty"`
	Stream      string  `json:"stream"`
	Shards      int     `json:"shards"`
}

// CheckManifest refuses a data directory that holds another world than
// cfg's (see Manifest), and records cfg's world in a new one.
func CheckManifest(cfg config.Config) error {
	return checkManifest(cfg.DataDir, manifestOf(cfg))
}

func manifestOf(cfg config.Config) Manifest {
	return Manifest{
		Seed: cfg.Seed, Start: cfg.Sim.Start, Days: cfg.Sim.Days, Users: cfg.Sim.Users,
		Products: cfg.Sim.Products, Realistic: cfg.Sim.Realistic, Traffic: cfg.Sim.Traffic, HostileRate: cfg.Sim.HostileRate,
		Stream: cfg.Kinesis.Stream, Shards: cfg.Kinesis.Shards,
	}
}

// checkManifest writes m into dir if the directory has no manifest yet, and
// otherwise returns an error unless the recorded manifest equals m.
func checkManifest(dir string, m Manifest) error {
	path := filepath.Join(dir, ManifestFile)
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("create data directory %s: %w", dir, err)
		}
		out, _ := json.MarshalIndent(m, "", "  ")
		if err := os.WriteFile(path, append(out, '\n'), 0o644); err != nil {
			return fmt.Errorf("write %s: %w", path, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	var got Manifest
	if err := json.Unmarshal(b, &got); err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if got != m {
		diff, same := got.differences(m)
		return fmt.Errorf("%w: %s was made with %s, this run asks for %s. To use it, run with %s; or choose another --data-dir (or remove %s)",
			ErrOtherWorld, dir, strings.Join(diff.held, ", "), strings.Join(diff.asked, ", "), strings.Join(same, " "), dir)
	}
	return nil
}

// manifestDiff is what differs between two manifests, as the flags (or,
// for the stream, the configuration keys) that set them.
type manifestDiff struct{ held, asked []string }

// differences says, flag by flag, what held (m) and asked differ in, and
// the flags that would make a run ask for m.
func (m Manifest) differences(asked Manifest) (manifestDiff, []string) {
	var d manifestDiff
	var use []string
	add := func(name string, held, want any) {
		if fmt.Sprint(held) == fmt.Sprint(want) {
			return
		}
		d.held = append(d.held, fmt.Sprintf("%s %v", name, held))
		d.asked = append(d.asked, fmt.Sprintf("%s %v", name, want))
		if strings.HasPrefix(name, "--") {
			use = append(use, fmt.Sprintf("%s %v", name, held))
		} else {
			use = append(use, fmt.Sprintf("(%s: %v)", name, held))
		}
	}
	add("--seed", m.Seed, asked.Seed)
	add("--start", m.Start, asked.Start)
	add("--days", m.Days, asked.Days)
	add("--users", m.Users, asked.Users)
	add("sim.products", m.Products, asked.Products)
	add("--realistic", m.Realistic, asked.Realistic)
	add("--traffic", m.Traffic, asked.Traffic)
	add("--hostile", m.HostileRate, asked.HostileRate)
	add("kinesis.stream", m.Stream, asked.Stream)
	add("kinesis.shards", m.Shards, asked.Shards)
	return d, use
}
