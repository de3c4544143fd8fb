package warehouse_test

import (
	"strings"
	"testing"

	"github.com/shoplake/shoplake/warehouse"
)

// TestWarehouse_OrderLifecycle: carts read again by later batches (a
// lookback) carry an order's later status, its statusDate and refunds.
// core.orders takes the latest object's status with the date it took it
// (the source's statusDate, else the end of the first snapshot date that
// saw it); core.order_refunds prices each refunded line at the order's
// unit price; core.order_status_history keeps every status seen, SCD 2. A
// refund of more than the cart holds rejects the cart. After every run the
// tables equal a full refresh's (both engines).
func TestWarehouse_OrderLifecycle(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(testing.TB) *warehouse.Warehouse) {
		type m = map[string]any
		line := func(p, q int) m { return m{"productId": p, "quantity": q} }
		refund := func(at string, p, q int) m { return m{"date": at, "productId": p, "quantity": q} }
		src := newMemSource()
		products := src.putJSON(t, "products", "2026-01-01", []product{{1, "Lamp", 10, "home"}, {2, "Mug", 3.33, "kitchen"}})
		day1 := src.putJSON(t, "carts", "2026-01-01", []m{
			{"id": 2001, "userId": 1, "date": "2026-01-01T10:00:00.000Z", "products": []m{line(1, 1), line(2, 2)},
				"status": "completed", "statusDate": "2026-01-01T10:00:00.000Z"},
			{"id": 2002, "userId": 2, "date": "2026-01-01T11:00:00.000Z", "products": []m{line(1, 1)}, "status": "completed"},
		})
		day2 := src.putJSON(t, "carts", "2026-01-02", []m{
			{"id": 2001, "userId": 1, "date": "2026-01-01T10:00:00.000Z", "products": []m{line(1, 1), line(2, 2)},
				"status": "completed", "statusDate": "2026-01-01T10:00:00.000Z", "refunds": []m{refund("2026-01-02T09:00:00.000Z", 2, 1)}},
			{"id": 2002, "userId": 2, "date": "2026-01-01T11:00:00.000Z", "products": []m{line(1, 1)}, "status": "cancelled"},
		})
		day3 := src.putJSON(t, "carts", "2026-01-03", []m{
			{"id": 2001, "userId": 1, "date": "2026-01-01T10:00:00.000Z", "products": []m{line(1, 1), line(2, 2)},
				"status": "refunded", "statusDate": "2026-01-03T08:00:00.000Z", "refunds": []m{
					refund("2026-01-02T09:00:00.000Z", 2, 1), refund("2026-01-03T08:00:00.000Z", 1, 1), refund("2026-01-03T08:00:00.000Z", 2, 1)}},
			{"id": 2002, "userId": 2, "date": "2026-01-01T11:00:00.000Z", "products": []m{line(1, 1)}, "status": "cancelled"},
			{"id": 2003, "userId": 3, "date": "2026-01-03T11:00:00.000Z", "products": []m{line(1, 1)}, "status": "completed",
				"refunds": []m{refund("2026-01-03T12:00:00.000Z", 1, 2)}},
		})
		const ordersQ = `SELECT CAST(order_id AS VARCHAR), order_status, CAST(status_date AS VARCHAR), CAST(order_total AS VARCHAR)
			FROM core.orders ORDER BY order_id`
		const refundsQ = `SELECT CAST(order_id AS VARCHAR), CAST(refund_no AS VARCHAR), CAST(refund_date AS VARCHAR),
			CAST(product_id AS VARCHAR), CAST(quantity AS VARCHAR), CAST(amount AS VARCHAR)
			FROM core.order_refunds ORDER BY order_id, refund_no`
		const historyQ = `SELECT CAST(order_id AS VARCHAR), status, CAST(valid_from AS VARCHAR), COALESCE(CAST(valid_to AS VARCHAR), '-')
			FROM core.order_status_history ORDER BY order_id, valid_from`
		steps := []struct {
			keys                       []string
			orders, refunds, histories string
		}{
			{[]string{products, day1},
				"2001|completed|2026-01-01 10:00:00|16.66\n2002|completed|2026-01-01 11:00:00|10.00\n",
				"",
				"2001|completed|2026-01-01 10:00:00|-\n2002|completed|2026-01-01 11:00:00|-\n"},
			{[]string{day2},
				"2001|completed|2026-01-01 10:00:00|16.66\n2002|cancelled|2026-01-03 00:00:00|10.00\n",
				"2001|1|2026-01-02 09:00:00|2|1|3.33\n",
				"2001|completed|2026-01-01 10:00:00|-\n2002|completed|2026-01-01 11:00:00|2026-01-03 00:00:00\n2002|cancelled|2026-01-03 00:00:00|-\n"},
			{[]string{day3},
				"2001|refunded|2026-01-03 08:00:00|16.66\n2002|cancelled|2026-01-03 00:00:00|10.00\n",
				"2001|1|2026-01-02 09:00:00|2|1|3.33\n2001|2|2026-01-03 08:00:00|1|1|10.00\n2001|3|2026-01-03 08:00:00|2|1|3.33\n",
				"2001|completed|2026-01-01 10:00:00|2026-01-03 08:00:00\n2001|refunded|2026-01-03 08:00:00|-\n" +
					"2002|completed|2026-01-01 11:00:00|2026-01-03 00:00:00\n2002|cancelled|2026-01-03 00:00:00|-\n"},
		}
		w := open(t)
		var loaded []string
		for i, s := range steps {
			loaded = append(loaded, s.keys...)
			mustLoad(t, w, src.subset(loaded...))
			mustTransform(t, w)
			for _, q := range []struct{ name, q, want string }{
				{"core.orders", ordersQ, s.orders}, {"core.order_refunds", refundsQ, s.refunds}, {"core.order_status_history", historyQ, s.histories},
			} {
				if got := joinRows(queryStrings(t, w, q.q)); got != q.want {
					t.Errorf("run %d: %s:\n%s\nwant\n%s", i+1, q.name, got, q.want)
				}
			}
			full := open(t)
			mustLoad(t, full, src.subset(loaded...))
			transformWith(t, full, warehouse.TransformOptions{Mode: warehouse.FullRefresh})
			if got, inc := mustHashes(t, full), mustHashes(t, w); !equalHashes(got, inc) {
				t.Errorf("run %d: a full refresh differs from the incremental runs:\n%v\nwant\n%v", i+1, got, inc)
			}
		}
		rows := queryStrings(t, w, `SELECT reason FROM staging.quarantine WHERE entity = 'carts' AND disposition = 'rejected'`)
		if len(rows) != 1 || !strings.Contains(rows[0][0], "2 of product 1 refunded, the cart has 1") {
			t.Errorf("rejected carts: %v, want cart 2003's refund of 2 when it holds 1", rows)
		}
	})
}
