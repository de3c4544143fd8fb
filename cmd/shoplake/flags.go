package main

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/sim"
)

// worldFlags are the flags that size the simulated world; they override the
// configuration only when given.
type worldFlags struct {
	seed             uint64
	days, users      int
	start            string
	realistic        bool
	traffic, hostile float64
}

func (f *worldFlags) register(fs *pflag.FlagSet) {
	def := config.DefaultConfig()
	fs.Uint64Var(&f.seed, "seed", def.Seed, "seed of the whole run")
	fs.IntVar(&f.days, "days", def.Sim.Days, "simulated days")
	fs.IntVar(&f.users, "users", def.Sim.Users, "registered users over the run")
	fs.StringVar(&f.start, "start", def.Sim.Start, "first simulated day (YYYY-MM-DD, UTC)")
	fs.BoolVar(&f.realistic, "realistic", def.Sim.Realistic, "realistic rates: order statuses, tracking loss, price changes, withdrawals")
	fs.Float64Var(&f.traffic, "traffic", def.Sim.Traffic, "multiply session arrivals (0: as simulated)")
	fs.Float64Var(&f.hostile, "hostile", def.Sim.HostileRate, "share of products with hostile names (quotes, ../, control characters)")
}

func (f *worldFlags) apply(fs *pflag.FlagSet, cfg *config.Config) {
	if fs.Changed("seed") {
		cfg.Seed = f.seed
	}
	if fs.Changed("days") {
		cfg.Sim.Days = f.days
	}
	if fs.Changed("users") {
		cfg.Sim.Users = f.users
	}
	if fs.Changed("start") {
		cfg.Sim.Start = f.start
	}
	if fs.Changed("realistic") {
		cfg.Sim.Realistic = f.realistic
	}
	if fs.Changed("traffic") {
		cfg.Sim.Traffic = f.traffic
	}
	if fs.Changed("hostile") {
		cfg.Sim.HostileRate = f.hostile
	}
}

// loadWorld loads the configuration, applies the world flags, validates it
// and returns it with the simulated world it describes.
func (g *globalFlags) loadWorld(cmd *cobra.Command, world *worldFlags) (config.Config, sim.Config, error) {
	cfg, err := g.load()
	if err != nil {
		return cfg, sim.Config{}, err
	}
	world.apply(cmd.Flags(), &cfg)
	if err := cfg.Check("shoplake "+cmd.CommandPath()[len("shoplake "):], config.NeedWorld); err != nil {
		return cfg, sim.Config{}, err
	}
	wcfg, err := pipeline.WorldConfig(cfg)
	return cfg, wcfg, err
}
