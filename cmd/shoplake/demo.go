package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/shoplake/shoplake/internal/config"
	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/pipeline"
	"github.com/shoplake/shoplake/warehouse"
)

func newDemoCmd(g *globalFlags) *cobra.Command {
	var (
		world   worldFlags
		dataDir string
		asJSON  bool
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Simulate days of a shop end to end and print the marts",
		Long: `demo simulates a shop in-process from one seed: a FakeStore-compatible API,
a Kinesis clickstream, an S3 lake and a DuckDB warehouse, all local. It
replays each day hour by hour through ingestion, the stream, RAW and the
warehouse, then prints the daily KPIs, the session funnel and a content hash
of every core and mart table. The same seed gives the same hashes; a second
run over the same data directory changes no table.`,
		Example: "  shoplake demo\n  shoplake demo --seed 7 --days 7 --users 1000 --data-dir /tmp/shop",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadData(cmd, dataDir)
			if err != nil {
				return err
			}
			world.apply(cmd.Flags(), &cfg)
			if cfg.Mode != config.ModeLocal {
				return fmt.Errorf("demo runs in mode local only (the configuration says %q)", cfg.Mode)
			}
			if err := cfg.Validate(); err != nil {
				return err
			}
			return runDemo(cmd, g, cfg, asJSON)
		},
	}
	world.register(cmd.Flags())
	cmd.Flags().StringVar(&dataDir, "data-dir", config.DefaultConfig().DataDir, "where the lake and warehouse.duckdb are written")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the result as JSON")
	return cmd
}

// demoResult is what demo prints, and its --json form.
type demoResult struct {
	Seed    uint64          `json:"seed"`
	DataDir string          `json:"data_dir"`
	Totals  pipeline.Totals `json:"totals"`
	InCore  int64           `json:"events_in_core"`
	// Account is where the events are, read from the lake and the
	// warehouse, and the balance of what was sent.
	Account pipeline.Account `json:"accounting"`
	KPIs    []kpiJSON        `json:"daily_kpis"`
	Funnel  []funnelJSON     `json:"session_funnel"`
	Traffic []trafficJSON    `json:"traffic_sources"`
	Revenue []revenueJSON    `json:"revenue_daily"`
	// TopProducts is marts.product_sales summed over the run by product,
	// the first topProducts by net sales.
	TopProducts []productTotal        `json:"top_products"`
	Hashes      []warehouse.TableHash `json:"table_hashes"`
	Elapsed     string                `json:"-"`
}

func runDemo(cmd *cobra.Command, g *globalFlags, cfg config.Config, asJSON bool) error {
	ctx := cmd.Context()
	errw := cmd.ErrOrStderr()
	began := time.Now() // wall clock for the progress line only; never enters data
	fmt.Fprintf(errw, "shoplake demo: seed %d, %d days from %s, %d users, data in %s\n", cfg.Seed, cfg.Sim.Days, cfg.Sim.Start, cfg.Sim.Users, cfg.DataDir)
	r, err := pipeline.NewRunner(ctx, cfg, g.logger(errw))
	if err != nil {
		return err
	}
	defer r.Close()
	fmt.Fprintf(errw, "world: %d users, %d products, %d orders, %d events; replaying hour by hour\n",
		r.World.NumUsers(), len(r.World.Products), len(r.World.Orders), r.World.Stats.Events)
	_, err = r.Run(ctx, func(d pipeline.DayReport) {
		if d.Day == 0 {
			fmt.Fprintf(errw, "  opening snapshot %s  batch %d new, %d same  warehouse +%d objects  [%s]\n",
				d.Date.Format("2006-01-02"), d.Ingest.Written(), len(d.Ingest.Objects)-d.Ingest.Written(), d.Load.ObjectsLoaded, time.Since(began).Round(time.Millisecond))
			return
		}
		fmt.Fprintf(errw, "  day %d/%d %s  events %6d put, %6d to RAW (%d objects)  batch %d new, %d same  warehouse +%d objects  [%s]\n",
			d.Day, cfg.Sim.Days, d.Date.Format("2006-01-02"), d.Put.Acknowledged, d.Consume.Valid, d.Consume.Objects,
			d.Ingest.Written(), len(d.Ingest.Objects)-d.Ingest.Written(), d.Load.ObjectsLoaded, time.Since(began).Round(time.Millisecond))
	})
	if err != nil {
		return err
	}
	res, err := collect(ctx, r)
	if err != nil {
		return err
	}
	res.Seed, res.DataDir = cfg.Seed, cfg.DataDir
	out := cmd.OutOrStdout()
	if asJSON {
		return writeJSON(out, res)
	}
	printDemo(out, res)
	fmt.Fprintf(errw, "done in %s; replay with: shoplake demo --seed %d --days %d --users %d\n",
		time.Since(began).Round(time.Millisecond), cfg.Seed, cfg.Sim.Days, cfg.Sim.Users)
	return nil
}

func collect(ctx context.Context, r *pipeline.Runner) (demoResult, error) {
	var res demoResult
	var err error
	wh := r.Warehouse()
	kpis, err := wh.DailyKPIs(ctx)
	if err != nil {
		return res, err
	}
	res.KPIs = wrapRows(kpis, func(r warehouse.DailyKPI) kpiJSON { return kpiJSON{r} })
	funnel, err := wh.SessionFunnel(ctx)
	if err != nil {
		return res, err
	}
	res.Funnel = wrapRows(funnel, func(r warehouse.FunnelStep) funnelJSON { return funnelJSON{r} })
	traffic, err := wh.TrafficSources(ctx)
	if err != nil {
		return res, err
	}
	res.Traffic = wrapRows(traffic, func(r warehouse.TrafficSourceRow) trafficJSON { return trafficJSON{r} })
	revenue, err := wh.RevenueDaily(ctx)
	if err != nil {
		return res, err
	}
	res.Revenue = wrapRows(revenue, func(r warehouse.RevenueDailyRow) revenueJSON { return revenueJSON{r} })
	sales, err := wh.ProductSales(ctx)
	if err != nil {
		return res, err
	}
	res.TopProducts = topProducts(sales, topProductsShown)
	if res.Hashes, err = wh.TableHashes(ctx); err != nil {
		return res, err
	}
	for _, h := range res.Hashes {
		if h.Table == "core.events" {
			res.InCore = h.Rows
		}
	}
	res.Totals = r.Totals()
	if res.Account, err = r.Account(ctx); err != nil {
		return res, err
	}
	return res, nil
}

func printDemo(w io.Writer, res demoResult) {
	fmt.Fprintln(w, "\nDAILY KPIs")
	kpis := &table{
		head:  []string{"date", "sessions", "converting", "orders", "revenue", "avg order", "conversion"},
		right: []bool{false, true, true, true, true, true, true},
	}
	for _, k := range res.KPIs {
		aov := "-"
		if k.AvgOrderValue != nil {
			aov = k.AvgOrderValue.String()
		}
		kpis.add(k.Date.Format("2006-01-02"), fmt.Sprint(k.Sessions), fmt.Sprint(k.ConvertingSessions),
			fmt.Sprint(k.Orders), k.Revenue.String(), aov, percent(k.ConversionRate))
	}
	kpis.print(w)

	// One row per date, one column per step: sessions reaching the step
	// and, in brackets, the share of the step before.
	fmt.Fprintln(w, "\nSESSION FUNNEL (sessions reaching each step, % of the step before)")
	funnel := &table{head: []string{"date"}, right: []bool{false}}
	var row []string
	for _, s := range res.Funnel {
		if s.StepOrder == 1 {
			if row != nil {
				funnel.add(row...)
			}
			row = []string{s.Date.Format("2006-01-02")}
		}
		if len(funnel.rows) == 0 && len(funnel.head) <= s.StepOrder {
			funnel.head = append(funnel.head, s.Step)
			funnel.right = append(funnel.right, true)
		}
		cell := fmt.Sprint(s.Sessions)
		if s.StepOrder > 1 {
			cell += " (" + percent(s.ConversionFromPrevious) + ")"
		}
		row = append(row, cell)
	}
	if row != nil {
		funnel.add(row...)
	}
	funnel.print(w)
	printChannels(w, res.Traffic)
	printRevenue(w, res.Revenue)
	printTopProducts(w, res.TopProducts)

	t := res.Totals
	fmt.Fprintln(w, "\nEVENTS THROUGH THE PIPELINE")
	fmt.Fprintf(w, "generated %d  sent %d  acknowledged %d  refused by the producer %d\n", t.Generated, t.Sent, t.Acknowledged, t.Rejected)
	printAccount(w, res.Account)
	fmt.Fprintf(w, "RAW objects: events %d written, %d already present; batch %d written, %d already present\n", t.RawObjects, t.RawExisting, t.IngestWrites, t.IngestSkips)
	fmt.Fprintf(w, "CURATED: %d exports of the marts written, %d Parquet files (curated/<mart>/<sha256>.parquet; manifests in curated/_exports/, the highest is the newest)\n", t.CuratedExports, t.CuratedFiles)

	fmt.Fprintln(w, "\nTABLE HASHES")
	hashes := &table{head: []string{"table", "rows", "sha256"}, right: []bool{false, true, false}}
	for _, h := range res.Hashes {
		hashes.add(h.Table, fmt.Sprint(h.Rows), h.SHA256)
	}
	hashes.print(w)
}

// printAccount prints where the events are, every count read where the
// data is (RAW and QUARANTINE from the lake, the rest from the
// warehouse's tables), the source rows kept out of CORE, and the balance
// of what was sent.
func printAccount(w io.Writer, a pipeline.Account) {
	e := a.Warehouse.Events
	raw := fmt.Sprintf("in RAW %d records in %d objects (read from the lake): %d loaded, %d quarantined at load",
		a.Raw.Records, a.Raw.Objects, e.StagingRows, e.QuarantinedRows)
	if n := a.NotLoaded(); n != 0 {
		raw += fmt.Sprintf(", %d not loaded (in objects set aside or not loaded yet)", n)
	}
	if n := len(a.Raw.Unreadable); n > 0 {
		raw += fmt.Sprintf("; %d objects unreadable, their records not counted", n)
	}
	fmt.Fprintln(w, raw)
	fmt.Fprintf(w, "QUARANTINE at the stream %d records in %d objects (read from the lake)\n", a.StreamQuarantine.Records, a.StreamQuarantine.Objects)
	fmt.Fprintf(w, "in the warehouse: in CORE %d; quarantined at load %s; %d conflicting events, %d versions superseded; %d exact duplicates removed; %d not transformed yet\n",
		e.InCore, total(e.Quarantined, e.QuarantinedBy), e.Conflicting, e.Superseded, e.ExactDuplicates, e.Pending)
	if e.RawCopies > 0 {
		fmt.Fprintf(w, "  %d rows repeat a stream record already loaded (the same record in RAW twice): counted once\n", e.RawCopies)
	}
	if !e.Consistent() {
		fmt.Fprintf(w, "  the warehouse does not add up: %d versions transformed, but CORE %d + superseded %d = %d\n",
			e.Versions, e.InCore, e.Superseded, e.InCore+e.Superseded)
	}
	fmt.Fprintf(w, "source rows kept out of CORE: rejected %s in meta.rejected_rows, quarantined at load %s; RAW objects set aside %d in meta.quarantined_objects\n",
		total(a.Warehouse.RejectedRows(), a.Warehouse.Rejected), total(a.Warehouse.QuarantinedSourceRows(), sourceRows(a.Warehouse.QuarantinedAtLoad)),
		a.Warehouse.QuarantinedObjects)
	fmt.Fprintf(w, "balance: %s\n  %s\n", a.Balance, a.Balance.Terms())
}

// total renders n and, when it is not 0, what it is made of: "3 (clock
// ahead 1, invalid 2)".
func total(n int64, cs []warehouse.Count) string {
	var parts []string
	for _, c := range cs {
		if c.N != 0 {
			parts = append(parts, fmt.Sprintf("%s %d", strings.ReplaceAll(c.Name, "_", " "), c.N))
		}
	}
	if n == 0 || len(parts) == 0 {
		return fmt.Sprint(n)
	}
	return fmt.Sprintf("%d (%s)", n, strings.Join(parts, ", "))
}

// sourceRows are the counts by entity but events.
func sourceRows(cs []warehouse.Count) []warehouse.Count {
	var out []warehouse.Count
	for _, c := range cs {
		if c.Name != "events" {
			out = append(out, c)
		}
	}
	return out
}

// percent turns a 4-place decimal fraction ("0.0449") into "4.49%".
// printChannels prints marts.traffic_sources summed over the run by
// channel, the channels with the most sessions first.
func printChannels(w io.Writer, rows []trafficJSON) {
	channels := warehouse.TrafficByChannel(wrapRows(rows, func(r trafficJSON) warehouse.TrafficSourceRow { return r.TrafficSourceRow }))
	var total int64
	for _, c := range channels {
		total += c.Sessions
	}
	fmt.Fprintln(w, "\nTRAFFIC BY CHANNEL (all days; marts.traffic_sources by channel, device and country)")
	t := &table{head: []string{"channel", "sessions", "share", "reached purchase", "funnel conversion"}, right: []bool{false, true, true, true, true}}
	for _, c := range channels {
		t.add(c.Channel, fmt.Sprint(c.Sessions), ratioPercent(c.Sessions, total), fmt.Sprint(c.ReachedPurchase), ratioPercent(c.ReachedPurchase, c.Sessions))
	}
	t.print(w)
}

// printRevenue prints marts.revenue_daily: each amount on its own date.
func printRevenue(w io.Writer, rows []revenueJSON) {
	fmt.Fprintln(w, "\nREVENUE (marts.revenue_daily: sales on the order's date, cancellations and refunds on theirs)")
	t := &table{head: []string{"date", "orders", "gross", "cancelled", "refunds", "net"}, right: []bool{false, true, true, true, true, true}}
	for _, r := range rows {
		t.add(r.Date.Format("2006-01-02"), fmt.Sprint(r.OrdersPlaced), r.GrossSales.String(), r.CancelledSales.String(), r.Refunds.String(), r.NetSales.String())
	}
	t.print(w)
}

// topProductsShown is how many products the demo lists.
const topProductsShown = 5

// productTotal is one product's sales over the whole run.
type productTotal struct {
	ProductID int64       `json:"product_id"`
	Category  string      `json:"category"`
	NetUnits  int64       `json:"net_units"`
	Gross     money.Cents `json:"gross_sales"`
	Returned  money.Cents `json:"cancelled_and_refunded"`
	Net       money.Cents `json:"net_sales"`
}

// topProducts sums marts.product_sales by product and returns the first n
// by net sales (ties by product id): warehouse.TopProducts, in the demo's
// columns.
func topProducts(rows []warehouse.ProductSalesRow, n int) []productTotal {
	top := warehouse.TopProducts(rows, n)
	out := make([]productTotal, len(top))
	for i, p := range top {
		out[i] = productTotal{ProductID: p.ProductID, Category: p.Category, NetUnits: p.NetUnits,
			Gross: p.GrossSales, Returned: p.CancelledSales + p.Refunds, Net: p.NetSales}
	}
	return out
}

// printTopProducts prints the products that sold the most, net.
func printTopProducts(w io.Writer, ps []productTotal) {
	fmt.Fprintln(w, "\nTOP PRODUCTS (all days; marts.product_sales by net sales)")
	t := &table{head: []string{"product", "category", "net units", "gross", "cancelled+refunded", "net"}, right: []bool{true, false, true, true, true, true}}
	for _, p := range ps {
		category := p.Category
		if category == "" {
			category = "-"
		}
		t.add(fmt.Sprint(p.ProductID), category, fmt.Sprint(p.NetUnits), p.Gross.String(), p.Returned.String(), p.Net.String())
	}
	t.print(w)
}

// ratioPercent is n/d as a percentage with two decimals, rounded half away
// from zero as the marts round ("-" when d is 0).
func ratioPercent(n, d int64) string {
	if d == 0 {
		return "-"
	}
	q := (2*10000*n + d) / (2 * d)
	return fmt.Sprintf("%d.%02d%%", q/100, q%100)
}

func percent(s *string) string {
	if s == nil {
		return "-"
	}
	whole, frac, _ := strings.Cut(*s, ".")
	frac = (frac + "0000")[:4]
	n := 0
	fmt.Sscanf(whole+frac, "%d", &n)
	return fmt.Sprintf("%d.%02d%%", n/100, n%100)
}
