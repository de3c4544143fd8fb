package tui

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/shoplake/shoplake/internal/clean"
	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/scenarios"
	"github.com/shoplake/shoplake/sim"
	"github.com/shoplake/shoplake/warehouse"
)

// loadMarts reads the marts the panel shows: the warehouse's as of its last
// build and the oracle's cut at the same day. Before the first build it
// returns empty data (the warehouse has no marts to read yet). It does I/O:
// the model runs it inside a tea.Cmd.
func loadMarts(ctx context.Context, p *scenarios.Replay) (martsData, error) {
	var d martsData
	w := p.Oracle()
	if w == nil {
		return d, nil
	}
	d.AsOf = w.Config.End()
	wh := p.Runner().Warehouse()
	var err error
	if d.KPIs, err = wh.DailyKPIs(ctx); err != nil {
		return martsData{}, fmt.Errorf("marts: %w", err)
	}
	if d.Funnel, err = wh.SessionFunnel(ctx); err != nil {
		return martsData{}, fmt.Errorf("marts: %w", err)
	}
	if d.Retention, err = wh.CohortRetention(ctx); err != nil {
		return martsData{}, fmt.Errorf("marts: cohort_retention: %w", err)
	}
	if d.LTV, err = wh.CohortLTV(ctx); err != nil {
		return martsData{}, fmt.Errorf("marts: cohort_ltv: %w", err)
	}
	if d.Revenue, err = wh.RevenueDaily(ctx); err != nil {
		return martsData{}, fmt.Errorf("marts: revenue_daily: %w", err)
	}
	if d.Traffic, err = wh.TrafficSources(ctx); err != nil {
		return martsData{}, fmt.Errorf("marts: traffic_sources: %w", err)
	}
	if d.Products, err = wh.ProductSales(ctx); err != nil {
		return martsData{}, fmt.Errorf("marts: product_sales: %w", err)
	}
	d.OracleKPIs = w.DailyKPIs()
	d.OracleFunnel = w.SessionFunnel()
	d.OracleRetention = append(w.CohortRetention(sim.Monthly), w.CohortRetention(sim.Weekly)...)
	d.OracleLTV = w.CohortLTV()
	d.OracleRevenue = w.RevenueDaily()
	d.OracleTraffic = w.TrafficSources()
	d.OracleProducts = w.ProductSales()
	return d, nil
}

// martsPages are the panel's pages, in the order m cycles through them.
var martsPages = []string{"daily KPIs", "cohort retention", "LTV by cohort", "revenue by its own date", "channels", "top products, latest day"}

const (
	martsNone  = "—" // a value one side does not have
	martsEqual = "="
	martsDiff  = "≠"
)

// renderMarts renders page sub (modulo the pages) of the marts panel: at most height
// lines, none wider than width cells. A row (or a retention cell) the
// warehouse and the oracle disagree on, including one that only one of them
// has, is marked ≠.
func renderMarts(v view, s styles, sub, width, height int) string {
	if width <= 0 || height <= 0 {
		return ""
	}
	page := ((sub % len(martsPages)) + len(martsPages)) % len(martsPages)
	d := v.marts
	asOf := "no oracle yet"
	if !d.AsOf.IsZero() {
		asOf = "oracle as of " + d.AsOf.UTC().Format(time.DateOnly)
	}
	title := s.Title.Render(martsPages[page]) +
		s.Dim.Render(fmt.Sprintf(" %d/%d · %s · press m for the next page", page+1, len(martsPages), asOf))
	lines := []string{title}
	avail := height - 1
	switch {
	case martsEmpty(d):
		lines = append(lines, s.Dim.Render("no build yet"))
	case page == 0:
		lines = append(lines, martsKPIPage(d, s, width, avail)...)
	case page == 1:
		lines = append(lines, martsRetentionPage(d, s, avail)...)
	case page == 2:
		lines = append(lines, martsLTVPage(d, s, avail)...)
	case page == 3:
		lines = append(lines, martsRevenuePage(d, s, avail)...)
	case page == 4:
		lines = append(lines, martsChannelsPage(d, s, avail)...)
	default:
		lines = append(lines, martsProductsPage(d, s, avail)...)
	}
	if len(lines) > height {
		lines = lines[:height]
	}
	for i, l := range lines {
		lines[i] = ansi.Truncate(l, width, "…")
	}
	return strings.Join(lines, "\n")
}

func martsEmpty(d martsData) bool {
	return d.AsOf.IsZero() && len(d.KPIs) == 0 && len(d.OracleKPIs) == 0 &&
		len(d.Funnel) == 0 && len(d.OracleFunnel) == 0 &&
		len(d.Retention) == 0 && len(d.OracleRetention) == 0 &&
		len(d.LTV) == 0 && len(d.OracleLTV) == 0 &&
		len(d.Revenue) == 0 && len(d.OracleRevenue) == 0 &&
		len(d.Products) == 0 && len(d.OracleProducts) == 0 &&
		len(d.Traffic) == 0 && len(d.OracleTraffic) == 0
}

// martsMark is the mark of a row: ≠ in Bad, = in OK.
func martsMark(s styles, equal bool) string {
	if equal {
		return s.OK.Render(martsEqual)
	}
	return s.Bad.Render(martsDiff)
}

// --- page 0: daily KPIs and the session funnel ---------------------------

// martsPair is a date's row of a daily mart in the warehouse and in the
// oracle; either may be missing.
type martsPair[W, O any] struct {
	w *W
	o *O
}

// martsByDate pairs the rows of a daily mart by date and returns the dates
// in order.
func martsByDate[W, O any](ws []W, wDate func(W) time.Time, os []O, oDate func(O) time.Time) (map[time.Time]*martsPair[W, O], []time.Time) {
	byDate := map[time.Time]*martsPair[W, O]{}
	get := func(t time.Time) *martsPair[W, O] {
		t = t.UTC()
		p, ok := byDate[t]
		if !ok {
			p = &martsPair[W, O]{}
			byDate[t] = p
		}
		return p
	}
	for i := range ws {
		get(wDate(ws[i])).w = &ws[i]
	}
	for i := range os {
		get(oDate(os[i])).o = &os[i]
	}
	dates := make([]time.Time, 0, len(byDate))
	for t := range byDate {
		dates = append(dates, t)
	}
	sort.Slice(dates, func(i, j int) bool { return dates[i].Before(dates[j]) })
	return byDate, dates
}

func martsKPIPage(d martsData, s styles, width, avail int) []string {
	byDate, dates := martsByDate(d.KPIs, func(k warehouse.DailyKPI) time.Time { return k.Date },
		d.OracleKPIs, func(k sim.DailyKPI) time.Time { return k.Date })

	var kpi []string
	if len(dates) == 0 {
		kpi = []string{s.Dim.Render("no daily KPIs yet")}
	} else {
		head := []string{"date", "sessions", "orders", "oracle", "revenue", "oracle", "conv"}
		cells := make([][]string, len(dates))
		marks := make([]string, len(dates))
		for i, t := range dates {
			p := byDate[t]
			c := []string{t.Format(time.DateOnly), martsNone, martsNone, martsNone, martsNone, martsNone, martsNone}
			if p.w != nil {
				c[1] = strconv.FormatInt(p.w.Sessions, 10)
				c[2] = strconv.FormatInt(p.w.Orders, 10)
				c[4] = p.w.Revenue.String()
				c[6] = martsRate(p.w.ConversionRate, 1)
			}
			if p.o != nil {
				c[3] = strconv.FormatInt(p.o.Orders, 10)
				c[5] = p.o.Revenue.String()
				if p.w == nil {
					c[6] = martsRate(p.o.ConversionRate, 1)
				}
			}
			cells[i] = c
			marks[i] = martsMark(s, martsKPIEqual(p.w, p.o))
		}
		kpi = martsTable(s, head, cells, marks, []bool{false, true, true, true, true, true, true})
	}

	funnel := martsFunnel(d, s, width)
	// The funnel comes after the table, if there is room for it and for at
	// least the table's header and three days.
	if len(funnel) > 0 && avail-len(funnel) >= min(len(kpi), 4) {
		return append(martsClip(s, kpi, 1, avail-len(funnel), "earlier days"), funnel...)
	}
	return martsClip(s, kpi, 1, avail, "earlier days")
}

// --- page 3: revenue_daily ------------------------------------------------

// martsRevenuePage renders marts.revenue_daily beside the oracle's, a row
// per date: orders placed, gross sales, cancellations, refunds and net
// sales, each with the oracle's where they can differ.
func martsRevenuePage(d martsData, s styles, avail int) []string {
	byDate, dates := martsByDate(d.Revenue, func(r warehouse.RevenueDailyRow) time.Time { return r.Date },
		d.OracleRevenue, func(r sim.RevenueDailyRow) time.Time { return r.Date })
	if len(dates) == 0 {
		return []string{s.Dim.Render("no revenue yet")}
	}
	head := []string{"date", "orders", "gross", "cancelled", "refunds", "oracle", "net", "oracle"}
	cells := make([][]string, len(dates))
	marks := make([]string, len(dates))
	for i, t := range dates {
		p := byDate[t]
		c := []string{t.Format(time.DateOnly), martsNone, martsNone, martsNone, martsNone, martsNone, martsNone, martsNone}
		if p.w != nil {
			c[1], c[2] = strconv.FormatInt(p.w.OrdersPlaced, 10), p.w.GrossSales.String()
			c[3], c[4], c[6] = p.w.CancelledSales.String(), p.w.Refunds.String(), p.w.NetSales.String()
		}
		if p.o != nil {
			c[5], c[7] = p.o.Refunds.String(), p.o.NetSales.String()
		}
		cells[i] = c
		marks[i] = martsMark(s, p.w != nil && p.o != nil && p.w.OrdersPlaced == p.o.OrdersPlaced &&
			p.w.GrossSales == p.o.GrossSales && p.w.CancelledOrders == p.o.CancelledOrders &&
			p.w.CancelledSales == p.o.CancelledSales && p.w.RefundedUnits == p.o.RefundedUnits &&
			p.w.Refunds == p.o.Refunds && p.w.NetSales == p.o.NetSales &&
			martsText(p.w.CancellationRate) == martsText(p.o.CancellationRate) && martsText(p.w.RefundRate) == martsText(p.o.RefundRate))
	}
	table := martsTable(s, head, cells, marks, []bool{false, true, true, true, true, true, true, true})
	return martsClip(s, table, 1, avail, "earlier days")
}

// --- page 4: traffic_sources by channel ----------------------------------

// martsChannel is one channel's sessions over every date, and how many
// reached the purchase step.
type martsChannel struct{ sessions, purchased int64 }

// martsChannelsPage renders marts.traffic_sources summed over every date by
// channel beside the oracle's, the channels with the most sessions first:
// sessions and sessions that reached the purchase step on both sides, the
// warehouse's funnel conversion, a channel whose sums differ marked ≠.
func martsChannelsPage(d martsData, s styles, avail int) []string {
	ws, os := map[string]*martsChannel{}, map[string]*martsChannel{}
	add := func(m map[string]*martsChannel, channel string, sessions, purchased int64) {
		c := m[channel]
		if c == nil {
			c = &martsChannel{}
			m[channel] = c
		}
		c.sessions += sessions
		c.purchased += purchased
	}
	for _, r := range d.Traffic {
		add(ws, r.Channel, r.Sessions, r.ReachedPurchase)
	}
	for _, r := range d.OracleTraffic {
		add(os, r.Channel, r.Sessions, r.ReachedPurchase)
	}
	if len(ws) == 0 && len(os) == 0 {
		return []string{s.Dim.Render("no sessions yet")}
	}
	var channels []string
	for c := range ws {
		channels = append(channels, c)
	}
	for c := range os {
		if ws[c] == nil {
			channels = append(channels, c)
		}
	}
	sessions := func(c string) int64 {
		if ws[c] != nil {
			return ws[c].sessions
		}
		return os[c].sessions
	}
	slices.SortFunc(channels, func(a, b string) int { return cmp.Or(cmp.Compare(sessions(b), sessions(a)), cmp.Compare(a, b)) })
	head := []string{"channel", "sessions", "oracle", "purchase", "oracle", "conv"}
	cells := make([][]string, len(channels))
	marks := make([]string, len(channels))
	for i, ch := range channels {
		c := []string{clean.Display(ch), martsNone, martsNone, martsNone, martsNone, martsNone}
		w, o := ws[ch], os[ch]
		if w != nil {
			c[1], c[3] = strconv.FormatInt(w.sessions, 10), strconv.FormatInt(w.purchased, 10)
			c[5] = martsPercent(w.purchased, w.sessions)
		}
		if o != nil {
			c[2], c[4] = strconv.FormatInt(o.sessions, 10), strconv.FormatInt(o.purchased, 10)
		}
		cells[i] = c
		marks[i] = martsMark(s, w != nil && o != nil && *w == *o)
	}
	lines := []string{s.Dim.Render("all dates; sessions by their first event's channel, and those that reached purchase")}
	table := martsTable(s, head, cells, marks, []bool{false, true, true, true, true, true})
	return append(lines, martsClip(s, table, 1, avail-1, "more channels")...)
}

// martsPercent is n/d as a percentage with one decimal ("-" when d is 0).
func martsPercent(n, d int64) string {
	if d == 0 {
		return "-"
	}
	q := (2*1000*n + d) / (2 * d)
	return fmt.Sprintf("%d.%d%%", q/10, q%10)
}

// --- page 5: product_sales ------------------------------------------------

// martsTopProducts is how many products page 4 ranks.
const martsTopProducts = 10

// martsProductsPage renders the best products of the latest date either
// side has in marts.product_sales, by net sales rank, beside the oracle's:
// a product ranked in the top on either side is listed, marked ≠ when any
// of its amounts or its rank differ.
func martsProductsPage(d martsData, s styles, avail int) []string {
	var latest time.Time
	for _, r := range d.Products {
		latest = later(latest, r.Date)
	}
	for _, r := range d.OracleProducts {
		latest = later(latest, r.Date)
	}
	if latest.IsZero() {
		return []string{s.Dim.Render("no sales yet")}
	}
	type pair struct {
		w *warehouse.ProductSalesRow
		o *sim.ProductSalesRow
	}
	byID := map[int64]*pair{}
	get := func(id int64) *pair {
		if byID[id] == nil {
			byID[id] = &pair{}
		}
		return byID[id]
	}
	for i, r := range d.Products {
		if r.Date.Equal(latest) && r.NetSalesRank <= martsTopProducts {
			get(r.ProductID).w = &d.Products[i]
		}
	}
	for i, r := range d.OracleProducts {
		if r.Date.Equal(latest) && r.NetSalesRank <= martsTopProducts {
			get(r.ProductID).o = &d.OracleProducts[i]
		}
	}
	ids := make([]int64, 0, len(byID))
	for id := range byID {
		ids = append(ids, id)
	}
	rank := func(p *pair) int {
		if p.w != nil {
			return p.w.NetSalesRank
		}
		return p.o.NetSalesRank
	}
	slices.SortFunc(ids, func(a, b int64) int { return cmp.Compare(rank(byID[a]), rank(byID[b])) })
	head := []string{"#", "product", "category", "net units", "gross", "net", "oracle"}
	cells := make([][]string, len(ids))
	marks := make([]string, len(ids))
	for i, id := range ids {
		p := byID[id]
		c := []string{strconv.Itoa(rank(p)), strconv.FormatInt(id, 10), martsNone, martsNone, martsNone, martsNone, martsNone}
		if p.w != nil {
			c[2], c[3] = clean.Display(p.w.Category), strconv.FormatInt(p.w.NetUnits, 10)
			c[4], c[5] = p.w.GrossSales.String(), p.w.NetSales.String()
		}
		if p.o != nil {
			c[6] = p.o.NetSales.String()
		}
		cells[i] = c
		marks[i] = martsMark(s, p.w != nil && p.o != nil && p.w.Category == p.o.Category &&
			warehouse.Sales(p.w.Sales) == warehouse.Sales(p.o.Sales))
	}
	lines := []string{s.Dim.Render(latest.Format(time.DateOnly) + ": the first " + strconv.Itoa(martsTopProducts) + " by net sales")}
	table := martsTable(s, head, cells, marks, []bool{true, true, false, true, true, true, true})
	return append(lines, martsClip(s, table, 1, avail-1, "more products")...)
}

// later is the later of a and b.
func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func martsKPIEqual(w *warehouse.DailyKPI, o *sim.DailyKPI) bool {
	return w != nil && o != nil &&
		w.Sessions == o.Sessions && w.ConvertingSessions == o.ConvertingSessions &&
		w.Orders == o.Orders && w.Revenue == o.Revenue &&
		martsMoneyText(w.AvgOrderValue) == martsMoneyText(o.AvgOrderValue) &&
		martsText(w.ConversionRate) == martsText(o.ConversionRate)
}

// martsFunnel renders the session funnel of the latest date either side
// has: a title and one bar per step.
func martsFunnel(d martsData, s styles, width int) []string {
	var latest time.Time
	for _, f := range d.Funnel {
		if f.Date.After(latest) {
			latest = f.Date
		}
	}
	for _, f := range d.OracleFunnel {
		if f.Date.After(latest) {
			latest = f.Date
		}
	}
	if latest.IsZero() {
		return nil
	}
	n := len(sim.FunnelSteps)
	names := make([]string, n)
	for i, st := range sim.FunnelSteps {
		names[i] = string(st)
	}
	ws, os := make([]*warehouse.FunnelStep, n), make([]*sim.FunnelStep, n)
	for i := range d.Funnel {
		f := &d.Funnel[i]
		if f.Date.Equal(latest) && f.StepOrder >= 1 && f.StepOrder <= n {
			ws[f.StepOrder-1] = f
		}
	}
	for i := range d.OracleFunnel {
		f := &d.OracleFunnel[i]
		if f.Date.Equal(latest) && f.StepOrder >= 1 && f.StepOrder <= n {
			os[f.StepOrder-1] = f
		}
	}
	var maxSessions int64
	nums := make([]string, n)
	nameW, numW := 0, 0
	for i := range n {
		got, want := martsNone, martsNone
		if ws[i] != nil {
			got = strconv.FormatInt(ws[i].Sessions, 10)
			maxSessions = max(maxSessions, ws[i].Sessions)
		}
		if os[i] != nil {
			want = strconv.FormatInt(os[i].Sessions, 10)
			maxSessions = max(maxSessions, os[i].Sessions)
		}
		nums[i] = got + " (oracle " + want + ")"
		nameW = max(nameW, ansi.StringWidth(names[i]))
		numW = max(numW, ansi.StringWidth(nums[i]))
	}
	barMax := min(40, width-(2+nameW+1+1+numW))
	barMax = max(barMax, 1)
	out := []string{s.Header.Render("session funnel " + latest.Format(time.DateOnly))}
	for i := range n {
		equal := ws[i] != nil && os[i] != nil && ws[i].Step == string(os[i].Step) &&
			ws[i].Sessions == os[i].Sessions &&
			martsText(ws[i].ConversionFromPrevious) == martsText(os[i].ConversionFromPrevious)
		bar := 0
		if ws[i] != nil && maxSessions > 0 {
			bar = int(math.Round(float64(ws[i].Sessions) * float64(barMax) / float64(maxSessions)))
			if bar == 0 && ws[i].Sessions > 0 {
				bar = 1
			}
		}
		out = append(out, martsMark(s, equal)+" "+martsPad(names[i], nameW, false)+" "+
			s.Bar.Render(strings.Repeat("█", bar))+strings.Repeat(" ", barMax-bar)+" "+
			martsPad(nums[i], numW, false))
	}
	return out
}

// --- page 1: cohort retention --------------------------------------------

func martsRetentionPage(d martsData, s styles, avail int) []string {
	type key struct {
		gran   string
		cohort time.Time
		offset int
	}
	type cell struct {
		rate string
		size int64
	}
	got, want := map[key]cell{}, map[key]cell{}
	for _, r := range d.Retention {
		got[key{r.Granularity, r.Cohort.UTC(), r.Offset}] = cell{r.Rate, r.CohortSize}
	}
	for _, r := range d.OracleRetention {
		want[key{r.Granularity.String(), r.Cohort.UTC(), r.Offset}] = cell{r.Rate, r.CohortSize}
	}
	var sections [][]string
	for _, g := range []struct{ gran, title, layout string }{
		{sim.Monthly.String(), "monthly retention", "2006-01"},
		{sim.Weekly.String(), "weekly retention", time.DateOnly},
	} {
		cohorts := map[time.Time]int64{}
		maxOffset := -1
		for _, m := range []map[key]cell{want, got} { // the warehouse's size wins
			for k, c := range m {
				if k.gran == g.gran {
					cohorts[k.cohort] = c.size
					maxOffset = max(maxOffset, k.offset)
				}
			}
		}
		if len(cohorts) == 0 {
			sections = append(sections, []string{s.Header.Render(g.title), s.Dim.Render("no cohorts yet")})
			continue
		}
		starts := make([]time.Time, 0, len(cohorts))
		for t := range cohorts {
			starts = append(starts, t)
		}
		sort.Slice(starts, func(i, j int) bool { return starts[i].Before(starts[j]) })
		labelW := len(g.layout)
		sizeW := len("size")
		for _, t := range starts {
			sizeW = max(sizeW, len(strconv.FormatInt(cohorts[t], 10)))
		}
		differ := 0
		var rows []string
		for _, t := range starts {
			var b strings.Builder
			b.WriteString(martsPad(t.Format(g.layout), labelW, false))
			b.WriteString(" ")
			b.WriteString(martsPad(strconv.FormatInt(cohorts[t], 10), sizeW, true))
			for off := 0; off <= maxOffset; off++ {
				k := key{g.gran, t, off}
				gc, gok := got[k]
				wc, wok := want[k]
				b.WriteString(" ")
				switch {
				case !gok && !wok:
					b.WriteString("     ")
				case gok && wok && gc.rate == wc.rate:
					b.WriteString(martsPad(martsPct(gc.rate, 0), 4, true) + " ")
				default:
					differ++
					text := martsNone
					if gok {
						text = martsPct(gc.rate, 0)
					}
					b.WriteString(martsPad(text, 4, true) + s.Bad.Render(martsDiff))
				}
			}
			rows = append(rows, b.String())
		}
		var head strings.Builder
		head.WriteString(martsPad("cohort", labelW, false) + " " + martsPad("size", sizeW, true))
		for off := 0; off <= maxOffset; off++ {
			head.WriteString(" " + martsPad("+"+strconv.Itoa(off), 4, true) + " ")
		}
		summary := s.Dim.Render(" · all cells = oracle")
		switch {
		case differ == 1:
			summary = s.Bad.Render(" · 1 cell differs from the oracle")
		case differ > 1:
			summary = s.Bad.Render(fmt.Sprintf(" · %d cells differ from the oracle", differ))
		}
		sec := []string{s.Header.Render(g.title) + summary, s.Header.Render(head.String())}
		sections = append(sections, append(sec, rows...))
	}
	return martsFit(s, sections, 2, avail, "earlier cohorts")
}

// --- page 2: LTV by cohort -----------------------------------------------

func martsLTVPage(d martsData, s styles, avail int) []string {
	type key struct {
		cohort  time.Time
		horizon int
	}
	type pair struct {
		w *warehouse.CohortLTVRow
		o *sim.CohortLTVRow
	}
	byKey := map[key]*pair{}
	get := func(k key) *pair {
		p, ok := byKey[k]
		if !ok {
			p = &pair{}
			byKey[k] = p
		}
		return p
	}
	for i := range d.LTV {
		r := &d.LTV[i]
		get(key{r.CohortMonth.UTC(), r.HorizonDays}).w = r
	}
	for i := range d.OracleLTV {
		r := &d.OracleLTV[i]
		get(key{r.CohortMonth.UTC(), r.HorizonDays}).o = r
	}
	if len(byKey) == 0 {
		return []string{s.Dim.Render("no cohorts yet")}
	}
	keys := make([]key, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if !keys[i].cohort.Equal(keys[j].cohort) {
			return keys[i].cohort.Before(keys[j].cohort)
		}
		return keys[i].horizon < keys[j].horizon
	})
	head := []string{"cohort", "horizon", "customers", "matured", "revenue", "avg", "oracle"}
	cells := make([][]string, len(keys))
	marks := make([]string, len(keys))
	for i, k := range keys {
		p := byKey[k]
		c := []string{k.cohort.Format("2006-01"), strconv.Itoa(k.horizon) + "d",
			martsNone, martsNone, martsNone, martsNone, martsNone}
		if p.w != nil {
			c[2] = strconv.FormatInt(p.w.CohortCustomers, 10)
			c[3] = strconv.FormatInt(p.w.MaturedCustomers, 10)
			c[4] = p.w.Revenue.String()
			c[5] = martsMoneyText(p.w.AvgRevenue)
		}
		if p.o != nil {
			c[6] = p.o.Revenue.String()
		}
		equal := p.w != nil && p.o != nil &&
			p.w.CohortCustomers == p.o.CohortCustomers && p.w.MaturedCustomers == p.o.MaturedCustomers &&
			p.w.Revenue == p.o.Revenue && martsMoneyText(p.w.AvgRevenue) == martsMoneyText(p.o.AvgRevenue)
		cells[i] = c
		marks[i] = martsMark(s, equal)
	}
	table := martsTable(s, head, cells, marks, []bool{false, true, true, true, true, true, true})
	return martsClip(s, table, 1, avail, "earlier rows")
}

// --- helpers -------------------------------------------------------------

// martsTable lays cells out in columns (right-aligned where right says so),
// each row prefixed with its mark; the first line is the header.
func martsTable(s styles, head []string, cells [][]string, marks []string, right []bool) []string {
	widths := make([]int, len(head))
	for i, h := range head {
		widths[i] = ansi.StringWidth(h)
	}
	for _, r := range cells {
		for i, c := range r {
			widths[i] = max(widths[i], ansi.StringWidth(c))
		}
	}
	line := func(r []string) string {
		parts := make([]string, len(r))
		for i, c := range r {
			parts[i] = martsPad(c, widths[i], right[i])
		}
		return strings.Join(parts, "  ")
	}
	out := []string{s.Header.Render("  " + line(head))}
	for i, r := range cells {
		out = append(out, marks[i]+" "+line(r))
	}
	return out
}

// martsClip fits lines (head lines, then rows) into n lines, keeping the
// latest rows: hidden rows are counted on one Dim line.
func martsClip(s styles, lines []string, head, n int, what string) []string {
	if n <= 0 {
		return nil
	}
	if len(lines) <= n {
		return lines
	}
	if n <= head {
		return lines[:n]
	}
	rows := lines[head:]
	return martsKeep(s, lines[:head], rows, n-head, what)
}

// martsKeep returns head and the last k of rows, the first of those
// replaced by a count of the hidden ones when not all fit.
func martsKeep(s styles, head, rows []string, k int, what string) []string {
	out := append([]string(nil), head...)
	if k >= len(rows) {
		return append(out, rows...)
	}
	if k <= 0 {
		return out
	}
	hidden := len(rows) - k + 1
	out = append(out, s.Dim.Render(fmt.Sprintf("  … %d %s", hidden, what)))
	return append(out, rows[len(rows)-k+1:]...)
}

// martsFit fits sections (each: head lines, then rows) into n lines: heads
// first, in order, then the rows shared out one at a time, each section
// keeping its latest rows.
func martsFit(s styles, sections [][]string, head, n int, what string) []string {
	heads := make([]int, len(sections))
	left := n
	for i, sec := range sections {
		heads[i] = min(head, len(sec), max(left, 0))
		left -= heads[i]
	}
	rows := make([]int, len(sections))
	for more := true; more && left > 0; {
		more = false
		for i, sec := range sections {
			if left > 0 && heads[i] == min(head, len(sec)) && heads[i]+rows[i] < len(sec) {
				rows[i]++
				left--
				more = true
			}
		}
	}
	var out []string
	for i, sec := range sections {
		out = append(out, martsKeep(s, sec[:heads[i]], sec[min(head, len(sec)):], rows[i], what)...)
	}
	return out
}

// martsPad pads text to width cells, on the left if right.
func martsPad(text string, width int, right bool) string {
	pad := width - ansi.StringWidth(text)
	if pad <= 0 {
		return text
	}
	if right {
		return strings.Repeat(" ", pad) + text
	}
	return text + strings.Repeat(" ", pad)
}

// martsPct renders a mart's rate ("0.3333") as a percentage with prec
// decimals ("33%"); text it cannot read is shown as is.
func martsPct(rate string, prec int) string {
	f, err := strconv.ParseFloat(rate, 64)
	if err != nil {
		return rate
	}
	return strconv.FormatFloat(f*100, 'f', prec, 64) + "%"
}

// martsRate is martsPct of a nullable rate.
func martsRate(rate *string, prec int) string {
	if rate == nil {
		return martsNone
	}
	return martsPct(*rate, prec)
}

func martsText(p *string) string {
	if p == nil {
		return "NULL"
	}
	return *p
}

func martsMoneyText(c *money.Cents) string {
	if c == nil {
		return martsNone
	}
	return c.String()
}
