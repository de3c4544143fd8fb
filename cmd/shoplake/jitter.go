package main

import (
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"log/slog"

	"github.com/spf13/pflag"
)

// jitterFlag is --jitter-seed, the seed of the retry jitter of a command
// that talks to real endpoints (ingest, produce, consume).
//
// Simulated runs (the demo, scenarios, the TUI) derive their jitter from the
// run's seed, so that one seed replays them exactly. A real run must not:
// every process started with the same configuration would then draw the
// same waits, and processes that fail together (an API outage, a throttled
// shard) would retry together, in lockstep, at every attempt. So each real
// run draws its own jitter seed here, in cmd/ (core code takes a *rand.Rand
// and never reads a random source itself), logs it, and reports it; the
// flag fixes it to replay a run's waits.
type jitterFlag struct {
	seed uint64
}

func (j *jitterFlag) register(fs *pflag.FlagSet) {
	fs.Uint64Var(&j.seed, "jitter-seed", 0, "seed of the retry jitter (default: a new one per process, logged and reported, so that parallel runs do not retry in lockstep)")
}

// resolve returns the seed given with --jitter-seed, or else a new one
// drawn from crypto/rand, and logs it (at info level, as the run starts).
func (j *jitterFlag) resolve(fs *pflag.FlagSet, log *slog.Logger) (uint64, error) {
	if !fs.Changed("jitter-seed") {
		var b [8]byte
		if _, err := rand.Read(b[:]); err != nil {
			return 0, fmt.Errorf("draw the retry jitter seed: %w", err)
		}
		j.seed = binary.LittleEndian.Uint64(b[:])
	}
	log.Info(fmt.Sprintf("retry jitter seed %d (replay its waits with --jitter-seed %d)", j.seed, j.seed), "jitter_seed", j.seed)
	return j.seed, nil
}
