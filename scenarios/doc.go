// Package scenarios runs declarative failure scenarios against the whole
// pipeline and checks every guarantee of DESIGN.md against the simulator's
// ground truth.
//
// A scenario (a YAML file in testdata/, see Scenario and docs/TESTING.md)
// names a seed, a world, a stream and faults. Run replays it through
// pipeline.Runner, the same driver as the demo, in two phases: the fault
// phase (the world's days, with the faults injected by wrappers around the
// real parts: the in-process servers' HTTP handlers, the consumers'
// checkpointer, the client fleet's anomalies, actions at given moments)
// and the heal phase (faults off, late records streamed, failed dates
// rerun, days backfilled). Separate Checkers then read an Observation of
// every stage; a rerun of every step and, if asked, a second run of the
// seed must change nothing. Draw and Swarm draw random fault mixes from
// seeds, as TigerBeetle's VOPR does.
package scenarios
