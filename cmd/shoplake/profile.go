package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfiles starts the CPU profile of --cpuprofile. The profiles are
// the tool a user measuring a production-sized run reaches for first; they
// cost nothing when the flags are not given.
func (g *globalFlags) startProfiles() error {
	if g.cpuProfile == "" {
		return nil
	}
	f, err := os.Create(g.cpuProfile)
	if err != nil {
		return fmt.Errorf("--cpuprofile: %w", err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return fmt.Errorf("--cpuprofile %s: %w", g.cpuProfile, err)
	}
	g.stopCPU = func() {
		pprof.StopCPUProfile()
		f.Close()
	}
	return nil
}

// stopProfiles stops the CPU profile and writes the heap profile of
// --memprofile (after a GC, so it shows what is live, and what was
// allocated over the whole run). runCLI calls it once the command has
// ended, failed or not.
func (g *globalFlags) stopProfiles() error {
	if g.stopCPU != nil {
		g.stopCPU()
		g.stopCPU = nil
	}
	if g.memProfile == "" {
		return nil
	}
	f, err := os.Create(g.memProfile)
	if err != nil {
		return fmt.Errorf("--memprofile: %w", err)
	}
	defer f.Close()
	runtime.GC()
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		return fmt.Errorf("--memprofile %s: %w", g.memProfile, err)
	}
	return nil
}
