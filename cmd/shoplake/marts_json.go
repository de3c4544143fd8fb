package main

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/shoplake/shoplake/warehouse"
)

// The mart rows `shoplake demo --json` prints follow docs/JSON.md: a date is
// "YYYY-MM-DD", and a rate, which the warehouse keeps as the exact decimal
// text it computed ("0.0750"), is a JSON number with those very digits, as
// money is; a rate with no value is null. The dashboard's own API keeps the
// warehouse types' encoding, which its page reads.

// rateNumber returns rate as a JSON number, nil when rate is nil.
func rateNumber(rate *string) *json.Number {
	if rate == nil {
		return nil
	}
	n := json.Number(*rate)
	return &n
}

// rateText is rateNumber's inverse.
func rateText(n *json.Number) *string {
	if n == nil {
		return nil
	}
	s := n.String()
	return &s
}

func parseDay(s string) (time.Time, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return d, nil
}

// kpiJSON is a row of marts.daily_kpis as docs/JSON.md's DailyKPI.
type kpiJSON struct{ warehouse.DailyKPI }

type kpiWire struct {
	kpiPlain
	Date           string       `json:"date"`
	ConversionRate *json.Number `json:"conversion_rate"`
}
type kpiPlain warehouse.DailyKPI

func (k kpiJSON) MarshalJSON() ([]byte, error) {
	return json.Marshal(kpiWire{kpiPlain(k.DailyKPI), k.Date.Format(time.DateOnly), rateNumber(k.ConversionRate)})
}

func (k *kpiJSON) UnmarshalJSON(b []byte) error {
	var w kpiWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	d, err := parseDay(w.Date)
	k.DailyKPI = warehouse.DailyKPI(w.kpiPlain)
	k.Date, k.ConversionRate = d, rateText(w.ConversionRate)
	return err
}

// funnelJSON is a row of marts.session_funnel as docs/JSON.md's FunnelStep.
type funnelJSON struct{ warehouse.FunnelStep }

type funnelWire struct {
	funnelPlain
	Date                   string       `json:"date"`
	ConversionFromPrevious *json.Number `json:"conversion_from_previous"`
}
type funnelPlain warehouse.FunnelStep

func (s funnelJSON) MarshalJSON() ([]byte, error) {
	return json.Marshal(funnelWire{funnelPlain(s.FunnelStep), s.Date.Format(time.DateOnly), rateNumber(s.ConversionFromPrevious)})
}

func (s *funnelJSON) UnmarshalJSON(b []byte) error {
	var w funnelWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	d, err := parseDay(w.Date)
	s.FunnelStep = warehouse.FunnelStep(w.funnelPlain)
	s.Date, s.ConversionFromPrevious = d, rateText(w.ConversionFromPrevious)
	return err
}

// trafficJSON is a row of marts.traffic_sources as docs/JSON.md's
// TrafficSource.
type trafficJSON struct{ warehouse.TrafficSourceRow }

type trafficWire struct {
	trafficPlain
	Date             string      `json:"date"`
	FunnelConversion json.Number `json:"funnel_conversion"`
}
type trafficPlain warehouse.TrafficSourceRow

func (r trafficJSON) MarshalJSON() ([]byte, error) {
	return json.Marshal(trafficWire{trafficPlain(r.TrafficSourceRow), r.Date.Format(time.DateOnly), json.Number(r.FunnelConversion)})
}

func (r *trafficJSON) UnmarshalJSON(b []byte) error {
	var w trafficWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	d, err := parseDay(w.Date)
	r.TrafficSourceRow = warehouse.TrafficSourceRow(w.trafficPlain)
	r.Date, r.FunnelConversion = d, w.FunnelConversion.String()
	return err
}

// revenueJSON is a row of marts.revenue_daily as docs/JSON.md's RevenueDay.
type revenueJSON struct{ warehouse.RevenueDailyRow }

type revenueWire struct {
	revenuePlain
	Date             string       `json:"date"`
	CancellationRate *json.Number `json:"cancellation_rate"`
	RefundRate       *json.Number `json:"refund_rate"`
}
type revenuePlain warehouse.RevenueDailyRow

func (r revenueJSON) MarshalJSON() ([]byte, error) {
	return json.Marshal(revenueWire{revenuePlain(r.RevenueDailyRow), r.Date.Format(time.DateOnly),
		rateNumber(r.CancellationRate), rateNumber(r.RefundRate)})
}

func (r *revenueJSON) UnmarshalJSON(b []byte) error {
	var w revenueWire
	if err := json.Unmarshal(b, &w); err != nil {
		return err
	}
	d, err := parseDay(w.Date)
	r.RevenueDailyRow = warehouse.RevenueDailyRow(w.revenuePlain)
	r.Date, r.CancellationRate, r.RefundRate = d, rateText(w.CancellationRate), rateText(w.RefundRate)
	return err
}

// wrapRows converts the rows a reader returned to their JSON form.
func wrapRows[T, W any](rows []T, wrap func(T) W) []W {
	out := make([]W, len(rows))
	for i, r := range rows {
		out[i] = wrap(r)
	}
	return out
}
