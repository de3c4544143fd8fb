package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"net"
	"strconv"

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
	f.days, f.users = def.Sim.Days, def.Sim.Users
	countVar(fs, &f.days, "days", "simulated days")
	countVar(fs, &f.users, "users", "registered users over the run")
	fs.StringVar(&f.start, "start", def.Sim.Start, "first simulated day (YYYY-MM-DD, UTC)")
	fs.BoolVar(&f.realistic, "realistic", def.Sim.Realistic, "realistic rates: order statuses, tracking loss, price changes, withdrawals")
	f.traffic = def.Sim.Traffic
	nonNegativeVar(fs, &f.traffic, "traffic", "multiply session arrivals (0: as simulated)")
	f.hostile = def.Sim.HostileRate
	shareVar(fs, &f.hostile, "hostile", "share of products with hostile names (quotes, ../, control characters)")
}

// worldFlagNames returns the names of the flags register defines.
func worldFlagNames(fs *pflag.FlagSet, f *worldFlags) []string {
	probe := pflag.NewFlagSet("probe", pflag.ContinueOnError)
	f.register(probe)
	var names []string
	probe.VisitAll(func(fl *pflag.Flag) { names = append(names, fl.Name) })
	return names
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

// bounded is a numeric flag that refuses, when parsed, a value outside
// what it holds, and says what it wants (flagError adds the flag and its
// default): a share, a count, a multiplier. A count refused at parse time
// is refused in the flag's words, not later as the configuration key it
// sets (sim.days), which the user never typed.
type bounded[T int | float64] struct {
	p    *T
	ok   func(T) bool
	want wantError
	typ  string
}

// wantError is what a bounded flag's Set answers: what the flag wants.
type wantError string

func (e wantError) Error() string { return "want " + string(e) }

func (b bounded[T]) String() string {
	if b.p == nil {
		return "0"
	}
	return fmt.Sprint(*b.p)
}

func (b bounded[T]) Set(s string) error {
	var v T
	var err error
	switch p := any(&v).(type) {
	case *int:
		*p, err = strconv.Atoi(s)
	case *float64:
		*p, err = strconv.ParseFloat(s, 64)
	}
	if err != nil || !b.ok(v) {
		return b.want
	}
	*b.p = v
	return nil
}

func (b bounded[T]) Type() string { return b.typ }

// shareVar defines the flag name, a share of a whole from 0 to 1 (0.05 is
// 5%), starting at *p.
func shareVar(fs *pflag.FlagSet, p *float64, name, usage string) {
	fs.Var(bounded[float64]{p: p, ok: func(f float64) bool { return f >= 0 && f <= 1 },
		want: "a share between 0 and 1, such as 0.05 for 5%", typ: "share"}, name, usage+" (0 to 1)")
}

// countVar defines the flag name, a whole number of at least 1 (days,
// users, shards), starting at *p.
func countVar(fs *pflag.FlagSet, p *int, name, usage string) {
	fs.Var(bounded[int]{p: p, ok: func(n int) bool { return n >= 1 }, want: "a whole number, 1 or more", typ: "int"}, name, usage)
}

// nonNegativeVar defines the flag name, a number of 0 or more (a
// multiplier), starting at *p.
func nonNegativeVar(fs *pflag.FlagSet, p *float64, name, usage string) {
	fs.Var(bounded[float64]{p: p, ok: func(f float64) bool { return f >= 0 && !math.IsInf(f, 1) },
		want: "a number, 0 or more", typ: "float"}, name, usage)
}

// warnExposed says on w when what listens on an address other hosts can
// reach: the local endpoints and the dashboard have no authentication, so
// loopback is their default and anything else is the user's explicit
// choice, said out loud.
func warnExposed(w io.Writer, what string, addr net.Addr) {
	if tcp, ok := addr.(*net.TCPAddr); ok && !tcp.IP.IsLoopback() {
		fmt.Fprintf(w, "warning: %s listens on %s, reachable from other hosts, with no authentication\n", what, addr)
	}
}

// oldFlag hides the flag name of cmd, kept so that old scripts still
// parse, and makes the command say note on stderr when it is given (a
// flag's own deprecation notice would go to stdout, into --json).
func oldFlag(cmd *cobra.Command, name, note string) {
	f := cmd.Flags().Lookup(name)
	if f == nil {
		return
	}
	f.Hidden = true
	f.Annotations = map[string][]string{oldFlagNote: {note}}
	prev := cmd.PreRunE
	cmd.PreRunE = func(c *cobra.Command, args []string) error {
		if c.Flags().Changed(name) {
			fmt.Fprintf(c.ErrOrStderr(), "note: %s\n", note)
		}
		if prev != nil {
			return prev(c, args)
		}
		return nil
	}
}

// oldFlagNote annotates a flag oldFlag hid with what it says.
const oldFlagNote = "shoplake/old-flag"

// flagError puts a flag parsing error in the user's words: the flag as
// written, what it accepts instead of Go's parse error ("strconv.ParseInt:
// parsing ...", "time: invalid duration ..."), and, for an unknown flag or
// a missing value, the help that lists the command's flags.
func flagError(cmd *cobra.Command, err error) error {
	help := fmt.Sprintf("%s --help lists its flags", cmd.CommandPath())
	var (
		invalid  *pflag.InvalidValueError
		notExist *pflag.NotExistError
		required *pflag.ValueRequiredError
	)
	switch {
	case errors.As(err, &invalid):
		f := invalid.GetFlag()
		var num *strconv.NumError
		var wants wantError
		want := "a number"
		switch {
		case errors.As(err, &wants):
			want = string(wants) // a bounded flag's Set said what it wants
		case !errors.As(err, &num) && f.Value.Type() != "duration":
			return err
		default:
			switch f.Value.Type() {
			case "int", "int8", "int16", "int32", "int64":
				want = "a whole number"
			case "uint", "uint8", "uint16", "uint32", "uint64":
				want = "a whole number, 0 or more"
			case "bool":
				want = "true or false"
			case "duration":
				want = "a duration with its unit, such as 90s, 5m or 1h30m"
			}
		}
		if d := f.DefValue; d != "" && f.Value.Type() != "bool" {
			want += fmt.Sprintf(" (default %s)", d)
		}
		return fmt.Errorf("invalid argument %q for \"--%s\" flag: want %s", invalid.GetValue(), f.Name, want)
	case errors.As(err, &notExist), errors.As(err, &required):
		return fmt.Errorf("%w (%s)", err, help)
	}
	return err
}

// namedFileError is fileError when err is the failure to read path itself
// (an *fs.PathError on it), and err as it is otherwise (the file was read,
// and its content is what err is about).
func namedFileError(name, path string, err error) error {
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) && pe.Path == path {
		return fileError(name, path, err)
	}
	return err
}

// fileError says why the file the user named (with the flag or argument
// name) cannot be read, in their words: "--input day.ndjson: no such
// file", not Go's "open day.ndjson: no such file or directory".
func fileError(name, path string, err error) error {
	var pe *fs.PathError
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("%s %s: no such file", name, path)
	case errors.Is(err, fs.ErrPermission):
		return fmt.Errorf("%s %s: permission denied", name, path)
	case errors.As(err, &pe):
		return fmt.Errorf("%s %s: %v", name, path, pe.Err)
	}
	return fmt.Errorf("%s %s: %w", name, path, err)
}
