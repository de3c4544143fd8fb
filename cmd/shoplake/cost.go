package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoplake/shoplake/cost"
	"github.com/shoplake/shoplake/internal/clock"
	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/lake"
	"github.com/shoplake/shoplake/pipeline"
)

// costOptions are the flags of shoplake cost.
type costOptions struct {
	dataDir          string
	eventsPerDay     float64
	region           string
	horizonMonths    int
	transformMinutes float64
	seed             uint64
	asJSON           bool
	retention        lake.Retention
}

// The simulated shop MeasureSimulator samples for --events-per-day: big
// enough for a stable mean, small enough to take a second.
const (
	costSampleUsers = 500
	costSampleDays  = 7
)

func newCostCmd(g *globalFlags) *cobra.Command {
	opts := costOptions{horizonMonths: 12, seed: 1, retention: lake.DefaultRetention()}
	cmd := &cobra.Command{
		Use:   "cost",
		Short: "Estimate the pipeline's monthly AWS bill, from a lake's measurements or a volume of events",
		Long: `cost estimates the monthly AWS bill of the pipeline at the list prices of
--region (cost/prices.yaml: dated, with its source): Kinesis Data Streams
(provisioned shard-hours and PUT payload units, and on-demand stream-hours
and GB in and out: both are shown, the cheaper is counted), the consumer
Lambda (requests and GB-seconds), S3 storage per zone and storage class
after the lifecycle rules (lake.Retention, the rules of
deploy/aws/template.yaml), S3 requests, and Redshift Serverless RPU-hours
for the daily transform.

With --events-per-day N the usage is assumed: the simulator's events are
measured (payload size, gzip size in RAW, the busiest hour) and the rest
comes from the template's defaults and stated assumptions. Otherwise it is
measured in the lake of the data directory (or the configured bucket):
events and bytes per day from the RAW partitions and the staging manifests,
the busiest shard-hour, objects and bytes per zone, one Lambda invocation
per RAW object. The Lambda's and the transform's durations are recorded
nowhere, so they are assumptions in both modes (--transform-minutes sets
the second).

Storage grows with retention: the bill is the one of month
--horizon-months, at steady state after that many months of data. The
lifecycle line compares S3 storage that month with the retention policy
and with no rule at all. Projections price 10x and 100x the events.`,
		Example: "  shoplake cost --events-per-day 10000000\n  shoplake cost --data-dir data --region eu-west-1 --json",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadData(cmd, opts.dataDir)
			if err != nil {
				return err
			}
			if opts.eventsPerDay < 0 || cmd.Flags().Changed("events-per-day") && opts.eventsPerDay < 1 {
				return fmt.Errorf("--events-per-day %v: want 1 or more", opts.eventsPerDay)
			}
			if opts.horizonMonths < 1 || opts.horizonMonths > 120 {
				return fmt.Errorf("--horizon-months %d: want 1..120", opts.horizonMonths)
			}
			if opts.eventsPerDay == 0 {
				if err := cfg.Check("shoplake cost", config.NeedLake); err != nil {
					return err
				}
			}
			if !cmd.Flags().Changed("region") && cfg.Mode == config.ModeAWS && cfg.AWS.Region != "" {
				opts.region = cfg.AWS.Region
			}
			return runCost(cmd, cfg, opts)
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&opts.dataDir, "data-dir", config.DefaultConfig().DataDir, "the data directory whose lake is measured")
	fs.Float64Var(&opts.eventsPerDay, "events-per-day", 0, "estimate for this many clickstream events a day instead of measuring a lake")
	fs.StringVar(&opts.region, "region", "us-east-1", "the region whose prices apply (in mode aws, the configured region unless given)")
	fs.IntVar(&opts.horizonMonths, "horizon-months", opts.horizonMonths, "price the month after this many months of retained data")
	fs.Float64Var(&opts.transformMinutes, "transform-minutes", 0, "minutes the daily transform runs in Redshift Serverless (default: 5 + 1 per million events)")
	fs.Uint64Var(&opts.seed, "seed", opts.seed, "seed of the simulated shop whose events are measured")
	fs.IntVar(&opts.retention.RawExpireDays, "raw-days", opts.retention.RawExpireDays, "RAW objects pruned after this many days (0: kept, as the template does)")
	fs.IntVar(&opts.retention.CuratedKeepExports, "curated-keep", opts.retention.CuratedKeepExports, "CURATED exports kept by prune (0: all)")
	fs.BoolVar(&opts.asJSON, "json", false, "print the estimate as JSON")
	return cmd
}

// costReport is the estimate (--json).
type costReport struct {
	Prices      cost.Prices       `json:"prices"`
	Basis       string            `json:"basis"` // "assumed" or "measured"
	Retention   lake.Retention    `json:"retention"`
	Usage       cost.Usage        `json:"usage"`
	Assumptions []cost.Assumption `json:"assumptions"`
	Measured    *cost.Measured    `json:"measured,omitempty"`
	Bill        cost.Bill         `json:"bill"`
	Projections []projection      `json:"projections"`
}

// projection is the bill at a multiple of the volume.
type projection struct {
	Factor       float64 `json:"factor"`
	EventsPerDay float64 `json:"events_per_day"`
	Shards       int     `json:"shards"`
	KinesisMode  string  `json:"kinesis_mode"`
	Total        float64 `json:"total_monthly_usd"`
}

func runCost(cmd *cobra.Command, cfg config.Config, opts costOptions) error {
	if err := opts.retention.Validate(); err != nil {
		return err
	}
	file, err := cost.LoadPrices()
	if err != nil {
		return err
	}
	prices, err := file.Region(opts.region)
	if err != nil {
		return fmt.Errorf("--region: %w", err)
	}
	sample, err := cost.MeasureSimulator(opts.seed, costSampleUsers, costSampleDays)
	if err != nil {
		return err
	}
	rep := costReport{Prices: prices, Retention: opts.retention}
	if opts.eventsPerDay > 0 {
		rep.Basis = "assumed"
		rep.Usage, rep.Assumptions = cost.Assume(opts.eventsPerDay, sample)
	} else {
		rep.Basis = "measured"
		ctx := cmd.Context()
		if err := requireDataDir(cfg, cfg.S3.Endpoint, "no lake to measure; run shoplake demo (or ingest, produce, consume and transform) first, or estimate with --events-per-day"); err != nil {
			return err
		}
		env, err := pipeline.Open(ctx, cfg, pipeline.Local{Clock: clock.NewSim(time.Unix(0, 0).UTC())})
		if err != nil {
			return err
		}
		defer env.Close()
		if err := requireBucket(ctx, env, cfg.Mode); err != nil {
			return err
		}
		var m cost.Measured
		if rep.Usage, m, rep.Assumptions, err = cost.MeasureLake(ctx, env.Lake, sample); err != nil {
			return fmt.Errorf("%w (in %s)", err, cfg.DataDir)
		}
		rep.Measured = &m
	}
	if opts.transformMinutes > 0 {
		rep.Usage.TransformMinutes = opts.transformMinutes
		for i, a := range rep.Assumptions {
			if a.Name == "transform" {
				rep.Assumptions[i].Value = fmt.Sprintf("%.1f min a day at %.0f RPU", opts.transformMinutes, rep.Usage.BaseRPU)
				rep.Assumptions[i].Why = "given (--transform-minutes)"
			}
		}
	}
	rep.Bill = cost.Estimate(rep.Usage, prices, opts.retention, opts.horizonMonths)
	for _, k := range []float64{1, 10, 100} {
		b := cost.Estimate(rep.Usage.Scale(k), prices, opts.retention, opts.horizonMonths)
		rep.Projections = append(rep.Projections, projection{Factor: k, EventsPerDay: b.EventsPerDay, Shards: b.Shards, KinesisMode: b.KinesisMode, Total: b.Total})
	}
	return report(cmd.OutOrStdout(), opts.asJSON, rep, printCost)
}

func printCost(w io.Writer, rep costReport) {
	p := rep.Prices
	fmt.Fprintf(w, "shoplake cost: %s list prices as of %s, USD (%s)\n", p.Region, p.AsOf, strings.Join(strings.Fields(p.Source), " "))
	fmt.Fprintf(w, "%.0f events a day (%s); the bill of month %d, storage at steady state after %d months of data\n",
		rep.Usage.EventsPerDay, rep.Basis, rep.Bill.HorizonMonths, rep.Bill.HorizonMonths)
	if m := rep.Measured; m != nil {
		fmt.Fprintf(w, "\nthe lake: %d days of RAW events, %.0f events, %d RAW events objects, %d exports; peak %.0f records per shard-hour (%.2f/s)\n",
			m.Days, m.Events, m.RawEventObjects, m.Exports, m.PeakShardHour, m.PeakShardSecond)
		tb := &table{head: []string{"zone", "objects", "bytes"}, right: []bool{false, true, true}}
		for _, z := range m.Zones {
			tb.add(z.Zone, fmt.Sprint(z.Objects), fmt.Sprint(z.Bytes))
		}
		tb.print(w)
	}
	fmt.Fprintln(w, "\nassumptions:")
	at := &table{head: []string{"figure", "value", "from"}, right: []bool{false, false, false}}
	for _, a := range rep.Assumptions {
		at.add(a.Name, a.Value, a.Why)
	}
	at.print(w)
	for i, s := range rep.Bill.Services {
		counted := ""
		if strings.HasPrefix(s.Name, "Kinesis") {
			counted = "  [counted: the cheaper mode]"
			if i == 1 {
				counted = "  [not counted]"
			}
		}
		fmt.Fprintf(w, "\n%s: %s USD/month%s\n", s.Name, usd(s.Monthly), counted)
		tb := &table{head: []string{"item", "quantity", "unit", "unit price", "USD/month"}, right: []bool{false, true, false, true, true}}
		for _, l := range s.Lines {
			tb.add(l.Item, qty(l.Quantity), l.Unit, fmt.Sprintf("%g", l.UnitPrice), usd(l.Monthly))
		}
		tb.print(w)
		if s.Note != "" {
			fmt.Fprintf(w, "  %s\n", s.Note)
		}
	}
	b := rep.Bill
	fmt.Fprintf(w, "\ntotal: %s USD/month (Kinesis %s, %d shard(s) if provisioned)\n", usd(b.Total), b.KinesisMode, b.Shards)
	fmt.Fprintf(w, "lifecycle rules: S3 storage in month %d costs %s USD with them, %s USD without any rule: they save %s USD/month\n",
		b.HorizonMonths, usd(b.WithoutLifecycle-b.LifecycleSavings), usd(b.WithoutLifecycle), usd(b.LifecycleSavings))
	fmt.Fprintln(w, "\nprojections:")
	pt := &table{head: []string{"volume", "events/day", "shards", "kinesis", "USD/month"}, right: []bool{false, true, true, false, true}}
	for _, pr := range rep.Projections {
		pt.add(fmt.Sprintf("%g×", pr.Factor), fmt.Sprintf("%.0f", pr.EventsPerDay), fmt.Sprint(pr.Shards), pr.KinesisMode, usd(pr.Total))
	}
	pt.print(w)
}

// usd formats an amount of dollars with cents.
func usd(v float64) string {
	if v > -0.005 && v < 0.005 {
		v = 0 // no "-0.00"
	}
	return fmt.Sprintf("%.2f", v)
}

// qty formats a quantity with the digits it needs.
func qty(v float64) string {
	switch {
	case v >= 100:
		return fmt.Sprintf("%.0f", v)
	case v >= 1:
		return fmt.Sprintf("%.2f", v)
	}
	return fmt.Sprintf("%.4f", v)
}
