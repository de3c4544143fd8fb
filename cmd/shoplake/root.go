package main

import (
	"io"
	"log/slog"
	"os"

	"github.com/spf13/cobra"

	"github.com/shoplake/shoplake/internal/config"
)

// globalFlags are shared by every subcommand.
type globalFlags struct {
	configPath string
	verbose    bool
	cpuProfile string
	memProfile string
	stopCPU    func()
}

func newRootCmd() *cobra.Command {
	g := &globalFlags{}
	root := &cobra.Command{
		Use:   "shoplake",
		Short: "Local-first e-commerce analytics pipeline and test harness",
		Long: `shoplake runs batch (FakeStore API) and streaming (Kinesis clickstream)
ingestion into an S3 lake and a DuckDB warehouse, and builds analytics marts.
In mode local every endpoint runs in-process; mode aws uses the same clients
against AWS.`,
		SilenceUsage:  true,
		SilenceErrors: true,
		PersistentPreRunE: func(*cobra.Command, []string) error {
			return g.startProfiles()
		},
		PersistentPostRunE: func(*cobra.Command, []string) error {
			return g.stopProfiles()
		},
	}
	root.PersistentFlags().StringVar(&g.configPath, "config", "", "YAML configuration file (SHOPLAKE_* variables override it)")
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "log every step to stderr")
	root.PersistentFlags().StringVar(&g.cpuProfile, "cpuprofile", "", "write a CPU profile of the command to this file (go tool pprof reads it)")
	root.PersistentFlags().StringVar(&g.memProfile, "memprofile", "", "write a heap profile at the command's end to this file (go tool pprof reads it)")
	root.AddCommand(newDemoCmd(g), newServeCmd(g), newSimCmd(g), newConfigCmd(g), newIngestCmd(g), newConsumeCmd(g))
	root.AddCommand(newTransformCmd(g), newSetupCmd(g))
	root.AddCommand(newCheckCmd(g))
	root.AddCommand(newVerifyCmd(g))
	root.AddCommand(newProduceCmd(g))
	root.AddCommand(newScenarioCmd(g), newTUICmd(g))
	return root
}

// load reads the configuration file and the environment; callers apply
// their flags and then validate.
func (g *globalFlags) load() (config.Config, error) {
	return config.Load(g.configPath, os.Environ())
}

// logger writes to stderr: warnings only, or everything with --verbose.
func (g *globalFlags) logger(w io.Writer) *slog.Logger {
	level := slog.LevelWarn
	if g.verbose {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
