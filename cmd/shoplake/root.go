package main

import (
	"context"
	"errors"
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
	root, _ := newRoot()
	return root
}

// runCLI runs the command line under ctx and then stops the profiles
// that --cpuprofile and --memprofile started, whether the command failed or
// not: a failing run is one a user profiles.
func runCLI(ctx context.Context) error {
	root, g := newRoot()
	err := root.ExecuteContext(ctx)
	return errors.Join(err, g.stopProfiles())
}

func newRoot() (*cobra.Command, *globalFlags) {
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
	}
	root.SetFlagErrorFunc(flagError)
	root.PersistentFlags().StringVar(&g.configPath, "config", "", "YAML configuration file (SHOPLAKE_* variables override it)")
	root.PersistentFlags().BoolVarP(&g.verbose, "verbose", "v", false, "log every step to stderr")
	root.PersistentFlags().StringVar(&g.cpuProfile, "cpuprofile", "", "write a CPU profile of the command to this file (go tool pprof reads it)")
	root.PersistentFlags().StringVar(&g.memProfile, "memprofile", "", "write a heap profile at the command's end to this file (go tool pprof reads it)")
	root.AddCommand(newDemoCmd(g), newServeCmd(g), newSimCmd(g), newConfigCmd(g), newIngestCmd(g), newConsumeCmd(g))
	root.AddCommand(newTransformCmd(g), newSetupCmd(g))
	root.AddCommand(newCheckCmd(g), newDashboardCmd(g))
	root.AddCommand(newVerifyCmd(g), newPruneCmd(g), newCostCmd(g))
	root.AddCommand(newProduceCmd(g))
	root.AddCommand(newScenarioCmd(g), newTUICmd(g))
	return root, g
}

// load reads the configuration file and the environment; callers apply
// their flags and then validate.
func (g *globalFlags) load() (config.Config, error) {
	c, err := config.Load(g.configPath, os.Environ())
	return c, namedFileError("--config", g.configPath, err)
}

// loadData is load with the command's --data-dir applied when given (the
// flag's value is dataDir).
func (g *globalFlags) loadData(cmd *cobra.Command, dataDir string) (config.Config, error) {
	cfg, err := g.load()
	if err != nil {
		return cfg, err
	}
	if cmd.Flags().Changed("data-dir") {
		cfg.DataDir = dataDir
	}
	return cfg, nil
}

// loadFor is loadData, then the check of what the command uses (needs),
// its errors naming the command as the user typed it.
func (g *globalFlags) loadFor(cmd *cobra.Command, dataDir string, needs config.Need) (config.Config, error) {
	cfg, err := g.loadData(cmd, dataDir)
	if err != nil {
		return cfg, err
	}
	return cfg, cfg.Check(cmd.CommandPath(), needs)
}

// warehouseNeeds is what a command that reads the warehouse needs: the
// configured one, unless --postgres names another (dsn).
func warehouseNeeds(dsn string) config.Need {
	if dsn != "" {
		return 0
	}
	return config.NeedWarehouse
}

// logger writes to stderr: warnings only, or everything with --verbose.
func (g *globalFlags) logger(w io.Writer) *slog.Logger {
	level := slog.LevelWarn
	if g.verbose {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}
