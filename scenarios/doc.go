// Package scenarios will hold the declarative failure scenarios
// (testdata/*.yaml), their runner, fault injectors and invariant checkers
// (issue 7). It will drive the pipeline through package pipeline, like the
// CLI's demo does; it has no code yet.
package scenarios
