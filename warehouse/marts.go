package warehouse

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/shoplake/shoplake/internal/money"
)

// DailyKPI is one row of marts.daily_kpis (see models/marts_daily_kpis.sql
// for the definitions).
type DailyKPI struct {
	Date               time.Time    `json:"date"` // UTC midnight
	Sessions           int64        `json:"sessions"`
	ConvertingSessions int64        `json:"converting_sessions"`
	Orders             int64        `json:"orders"`
	Revenue            money.Cents  `json:"revenue"`
	AvgOrderValue      *money.Cents `json:"avg_order_value"` // nil when Orders == 0
	ConversionRate     *string      `json:"conversion_rate"` // "0.1234"; nil when Sessions == 0
}

// FunnelStep is one row of marts.session_funnel.
type FunnelStep struct {
	Date                   time.Time `json:"date"`       // UTC midnight
	StepOrder              int       `json:"step_order"` // 1..4
	Step                   string    `json:"step"`       // product_view, add_to_cart, begin_checkout, purchase
	Sessions               int64     `json:"sessions"`
	ConversionFromPrevious *string   `json:"conversion_from_previous"` // "0.5000"; nil for step 1 or when the previous step has no sessions
}

// DailyKPIs returns marts.daily_kpis ordered by date, as of the last
// Transform.
func (w *Warehouse) DailyKPIs(ctx context.Context) ([]DailyKPI, error) {
	q, err := readSQL("queries/read_daily_kpis.sql")
	if err != nil {
		return nil, err
	}
	rows, err := w.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read daily_kpis: %w", err)
	}
	defer rows.Close()
	var out []DailyKPI
	for rows.Next() {
		var k DailyKPI
		var revenue string
		var aov, rate sql.NullString
		if err := rows.Scan(&k.Date, &k.Sessions, &k.ConvertingSessions, &k.Orders, &revenue, &aov, &rate); err != nil {
			return nil, fmt.Errorf("read daily_kpis: %w", err)
		}
		k.Date = k.Date.UTC()
		if k.Revenue, err = money.Parse(revenue); err != nil {
			return nil, fmt.Errorf("read daily_kpis: revenue: %w", err)
		}
		if aov.Valid {
			c, err := money.Parse(aov.String)
			if err != nil {
				return nil, fmt.Errorf("read daily_kpis: avg_order_value: %w", err)
			}
			k.AvgOrderValue = &c
		}
		if rate.Valid {
			k.ConversionRate = &rate.String
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// SessionFunnel returns marts.session_funnel ordered by date and step, as of
// the last Transform.
func (w *Warehouse) SessionFunnel(ctx context.Context) ([]FunnelStep, error) {
	q, err := readSQL("queries/read_session_funnel.sql")
	if err != nil {
		return nil, err
	}
	rows, err := w.db.QueryContext(ctx, q)
	if err != nil {
		return nil, fmt.Errorf("read session_funnel: %w", err)
	}
	defer rows.Close()
	var out []FunnelStep
	for rows.Next() {
		var f FunnelStep
		var conv sql.NullString
		if err := rows.Scan(&f.Date, &f.StepOrder, &f.Step, &f.Sessions, &conv); err != nil {
			return nil, fmt.Errorf("read session_funnel: %w", err)
		}
		f.Date = f.Date.UTC()
		if conv.Valid {
			f.ConversionFromPrevious = &conv.String
		}
		out = append(out, f)
	}
	return out, rows.Err()
}

// TrafficSourceRow is one row of marts.traffic_sources (docs/MARTS.md §10):
// the sessions of one date from one channel, device type and country, and
// the funnel steps they reached.
type TrafficSourceRow struct {
	Date                 time.Time `json:"date"` // UTC midnight
	Channel              string    `json:"channel"`
	DeviceType           string    `json:"device_type"`
	Country              string    `json:"country"`
	Sessions             int64     `json:"sessions"`
	ReachedProductView   int64     `json:"reached_product_view"`
	ReachedAddToCart     int64     `json:"reached_add_to_cart"`
	ReachedBeginCheckout int64     `json:"reached_begin_checkout"`
	ReachedPurchase      int64     `json:"reached_purchase"`
	FunnelConversion     string    `json:"funnel_conversion"` // reached_purchase / sessions, "0.1234"
}

// TrafficSources returns marts.traffic_sources ordered by date, channel,
// device type and country, as of the last Transform.
func (w *Warehouse) TrafficSources(ctx context.Context) ([]TrafficSourceRow, error) {
	var out []TrafficSourceRow
	err := w.readMart(ctx, "traffic_sources", func(rows *sql.Rows) error {
		var r TrafficSourceRow
		if err := rows.Scan(&r.Date, &r.Channel, &r.DeviceType, &r.Country, &r.Sessions, &r.ReachedProductView,
			&r.ReachedAddToCart, &r.ReachedBeginCheckout, &r.ReachedPurchase, &r.FunnelConversion); err != nil {
			return err
		}
		r.Date = r.Date.UTC()
		out = append(out, r)
		return nil
	})
	return out, err
}

// AbandonmentRow is one row of marts.checkout_abandonment (docs/MARTS.md
// §18): the sessions of one date that reached the cart or the checkout, and
// the share of them that left without buying.
type AbandonmentRow struct {
	Date                    time.Time `json:"date"` // UTC midnight
	Sessions                int64     `json:"sessions"`
	Carts                   int64     `json:"carts"`
	Checkouts               int64     `json:"checkouts"`
	Purchases               int64     `json:"purchases"`
	CartAbandonmentRate     *string   `json:"cart_abandonment_rate"`     // "0.1234"; nil when Carts == 0
	CheckoutAbandonmentRate *string   `json:"checkout_abandonment_rate"` // nil when Checkouts == 0
}

// CheckoutAbandonment returns marts.checkout_abandonment ordered by date,
// as of the last Transform.
func (w *Warehouse) CheckoutAbandonment(ctx context.Context) ([]AbandonmentRow, error) {
	var out []AbandonmentRow
	err := w.readMart(ctx, "checkout_abandonment", func(rows *sql.Rows) error {
		var r AbandonmentRow
		var cart, checkout sql.NullString
		if err := rows.Scan(&r.Date, &r.Sessions, &r.Carts, &r.Checkouts, &r.Purchases, &cart, &checkout); err != nil {
			return err
		}
		r.Date = r.Date.UTC()
		if cart.Valid {
			r.CartAbandonmentRate = &cart.String
		}
		if checkout.Valid {
			r.CheckoutAbandonmentRate = &checkout.String
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// RevenueDailyRow is one row of marts.revenue_daily (docs/MARTS.md §11):
// what one date sold, cancelled and refunded, each on its own date.
type RevenueDailyRow struct {
	Date            time.Time   `json:"date"` // UTC midnight
	OrdersPlaced    int64       `json:"orders_placed"`
	GrossSales      money.Cents `json:"gross_sales"`
	CancelledOrders int64       `json:"cancelled_orders"`
	CancelledSales  money.Cents `json:"cancelled_sales"`
	RefundedUnits   int64       `json:"refunded_units"`
	Refunds         money.Cents `json:"refunds"`
	NetSales        money.Cents `json:"net_sales"`
	// CancellationRate and RefundRate are CancelledSales and Refunds over
	// GrossSales of the same date, "0.1234"; nil when GrossSales is 0.
	CancellationRate *string `json:"cancellation_rate"`
	RefundRate       *string `json:"refund_rate"`
}

// RevenueDaily returns marts.revenue_daily ordered by date, as of the last
// Transform.
func (w *Warehouse) RevenueDaily(ctx context.Context) ([]RevenueDailyRow, error) {
	var out []RevenueDailyRow
	err := w.readMart(ctx, "revenue_daily", func(rows *sql.Rows) error {
		var r RevenueDailyRow
		var gross, cancelled, refunds, net string
		var cancelRate, refundRate sql.NullString
		if err := rows.Scan(&r.Date, &r.OrdersPlaced, &gross, &r.CancelledOrders, &cancelled, &r.RefundedUnits, &refunds, &net,
			&cancelRate, &refundRate); err != nil {
			return err
		}
		r.Date = r.Date.UTC()
		if cancelRate.Valid {
			r.CancellationRate = &cancelRate.String
		}
		if refundRate.Valid {
			r.RefundRate = &refundRate.String
		}
		for _, m := range []struct {
			s string
			c *money.Cents
		}{{gross, &r.GrossSales}, {cancelled, &r.CancelledSales}, {refunds, &r.Refunds}, {net, &r.NetSales}} {
			var err error
			if *m.c, err = money.Parse(m.s); err != nil {
				return err
			}
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// OrdersDailyRow is one row of marts.orders_daily (docs/MARTS.md §14): who
// ordered on one date, new or returning, and what the baskets held.
type OrdersDailyRow struct {
	Date                     time.Time   `json:"date"` // UTC midnight
	Orders                   int64       `json:"orders"`
	Customers                int64       `json:"customers"`
	NewCustomers             int64       `json:"new_customers"`
	ReturningCustomers       int64       `json:"returning_customers"`
	NewCustomerOrders        int64       `json:"new_customer_orders"`
	ReturningCustomerOrders  int64       `json:"returning_customer_orders"`
	NewCustomerRevenue       money.Cents `json:"new_customer_revenue"`
	ReturningCustomerRevenue money.Cents `json:"returning_customer_revenue"`
	Units                    int64       `json:"units"`
	Lines                    int64       `json:"lines"`
	AvgUnitsPerOrder         string      `json:"avg_units_per_order"`  // "2.35"
	AvgLinesPerOrder         string      `json:"avg_lines_per_order"`  // "1.50"
	RepeatCustomerRate       string      `json:"repeat_customer_rate"` // "0.1234"
}

// OrdersDaily returns marts.orders_daily ordered by date, as of the last
// Transform.
func (w *Warehouse) OrdersDaily(ctx context.Context) ([]OrdersDailyRow, error) {
	var out []OrdersDailyRow
	err := w.readMart(ctx, "orders_daily", func(rows *sql.Rows) error {
		var r OrdersDailyRow
		var newRevenue, returningRevenue string
		if err := rows.Scan(&r.Date, &r.Orders, &r.Customers, &r.NewCustomers, &r.ReturningCustomers,
			&r.NewCustomerOrders, &r.ReturningCustomerOrders, &newRevenue, &returningRevenue, &r.Units, &r.Lines,
			&r.AvgUnitsPerOrder, &r.AvgLinesPerOrder, &r.RepeatCustomerRate); err != nil {
			return err
		}
		r.Date = r.Date.UTC()
		var err error
		if r.NewCustomerRevenue, err = money.Parse(newRevenue); err != nil {
			return fmt.Errorf("new_customer_revenue: %w", err)
		}
		if r.ReturningCustomerRevenue, err = money.Parse(returningRevenue); err != nil {
			return fmt.Errorf("returning_customer_revenue: %w", err)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// OrderAttributionRow is one row of marts.order_attribution (docs/MARTS.md
// §15): the completed orders of one date that one attribution model
// credits to one traffic source.
type OrderAttributionRow struct {
	Date        time.Time   `json:"date"`  // UTC midnight: the orders' date
	Model       string      `json:"model"` // "first_touch" or "last_touch"
	Channel     string      `json:"channel"`
	UTMSource   string      `json:"utm_source"`
	UTMMedium   string      `json:"utm_medium"`
	UTMCampaign string      `json:"utm_campaign"`
	Orders      int64       `json:"orders"`
	Revenue     money.Cents `json:"revenue"`
}

// OrderAttribution returns marts.order_attribution ordered by date, model,
// channel, utm_source, utm_medium and utm_campaign, as of the last
// Transform.
func (w *Warehouse) OrderAttribution(ctx context.Context) ([]OrderAttributionRow, error) {
	var out []OrderAttributionRow
	err := w.readMart(ctx, "order_attribution", func(rows *sql.Rows) error {
		var r OrderAttributionRow
		var revenue string
		if err := rows.Scan(&r.Date, &r.Model, &r.Channel, &r.UTMSource, &r.UTMMedium, &r.UTMCampaign, &r.Orders, &revenue); err != nil {
			return err
		}
		r.Date = r.Date.UTC()
		var err error
		if r.Revenue, err = money.Parse(revenue); err != nil {
			return fmt.Errorf("revenue: %w", err)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// TrafficHourRow is one row of marts.traffic_by_hour (docs/MARTS.md §16):
// the sessions and completed orders of one hour of one date (business time zone).
type TrafficHourRow struct {
	Date               time.Time   `json:"date"`    // UTC midnight
	Hour               int         `json:"hour"`    // 0..23, business time zone
	Weekday            int         `json:"weekday"` // ISO: 1 = Monday .. 7 = Sunday
	Sessions           int64       `json:"sessions"`
	ConvertingSessions int64       `json:"converting_sessions"`
	Orders             int64       `json:"orders"`
	Revenue            money.Cents `json:"revenue"`
}

// TrafficByHour returns marts.traffic_by_hour ordered by date and hour, as
// of the last Transform.
func (w *Warehouse) TrafficByHour(ctx context.Context) ([]TrafficHourRow, error) {
	var out []TrafficHourRow
	err := w.readMart(ctx, "traffic_by_hour", func(rows *sql.Rows) error {
		var r TrafficHourRow
		var revenue string
		if err := rows.Scan(&r.Date, &r.Hour, &r.Weekday, &r.Sessions, &r.ConvertingSessions, &r.Orders, &revenue); err != nil {
			return err
		}
		r.Date = r.Date.UTC()
		var err error
		if r.Revenue, err = money.Parse(revenue); err != nil {
			return fmt.Errorf("revenue: %w", err)
		}
		out = append(out, r)
		return nil
	})
	return out, err
}

// ActiveUsersRow is one row of marts.active_users (docs/MARTS.md §17): the
// distinct users with a session on one date, in the 7 and the 30 days
// ending on it, and the users who signed up that date.
type ActiveUsersRow struct {
	Date       time.Time `json:"date"` // UTC midnight
	DAU        int64     `json:"dau"`
	WAU        int64     `json:"wau"`
	MAU        int64     `json:"mau"`
	Signups    int64     `json:"signups"`
	Stickiness *string   `json:"stickiness"` // dau / mau, "0.1234"; nil when mau = 0
}

// ActiveUsers returns marts.active_users ordered by date, as of the last
// Transform.
func (w *Warehouse) ActiveUsers(ctx context.Context) ([]ActiveUsersRow, error) {
	var out []ActiveUsersRow
	err := w.readMart(ctx, "active_users", func(rows *sql.Rows) error {
		var r ActiveUsersRow
		var stickiness sql.NullString
		if err := rows.Scan(&r.Date, &r.DAU, &r.WAU, &r.MAU, &r.Signups, &stickiness); err != nil {
			return err
		}
		r.Date = r.Date.UTC()
		if stickiness.Valid {
			r.Stickiness = &stickiness.String
		}
		out = append(out, r)
		return nil
	})
	return out, err
}
