// Package tui will hold the bubbletea replay and dashboard (issue 8). It
// will read the pipeline through the same interfaces as the scenario runner;
// it has no code yet.
package tui
