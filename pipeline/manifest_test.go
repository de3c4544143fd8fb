package pipeline_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/pipeline"
)

// A data directory of another world is refused with what differs, flag by
// flag, and the flags that would use it: no Go struct.
func TestCheckManifest_SaysWhatDiffers(t *testing.T) {
	cfg := config.DefaultConfig()
	cfg.DataDir = t.TempDir()
	cfg.Sim.Days, cfg.Sim.Users = 1, 20
	if err := pipeline.CheckManifest(cfg); err != nil {
		t.Fatal(err)
	}
	if err := pipeline.CheckManifest(cfg); err != nil {
		t.Fatalf("the same world again: %v", err)
	}
	other := cfg
	other.Sim.Days, other.Sim.Users, other.Kinesis.Shards = 7, 30, 2
	err := pipeline.CheckManifest(other)
	if !errors.Is(err, pipeline.ErrOtherWorld) {
		t.Fatalf("another world: %v, want ErrOtherWorld", err)
	}
	for _, want := range []string{"was made with --days 1, --users 20, kinesis.shards 4", "asks for --days 7, --users 30, kinesis.shards 2", "run with --days 1 --users 20 (kinesis.shards: 4)"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("%v\nlacks %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "{") || strings.Contains(err.Error(), "Seed:") {
		t.Errorf("%v: a Go struct reached the user", err)
	}
}
