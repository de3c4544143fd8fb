package warehouse_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/shoplake/shoplake/stream"
	"github.com/shoplake/shoplake/warehouse"
)

// TestWarehouse_EventDimensions: version 1 and version 2 events load side
// by side; a version 1 event's dimensions are unknown; a version 2 event's
// are normalised (case, spaces, the referrer's host only, the page's path
// without its query); a garbled dimension is stored as unknown and the
// record is quarantined as repaired, naming the dimension; fields the
// contract does not name are kept in extra; a session takes the dimensions
// of its first event, and its page as landing_page; marts.traffic_sources
// counts the sessions by those dimensions.
func TestWarehouse_EventDimensions(t *testing.T) {
	eachEngine(t, func(t *testing.T, open func(testing.TB) *warehouse.Warehouse) {
		str := func(s string) *string { return &s }
		v1 := ev{id: "d-1", typ: "page_view", session: "dim1", at: "2026-01-03T09:00:00Z", seq: "10"}.record(t)
		v1.SchemaVersion = 1
		landing := ev{id: "d-2", typ: "page_view", session: "dim2", at: "2026-01-03T10:00:00Z", seq: "11"}.record(t)
		landing.DeviceType, landing.DeviceOS, landing.DeviceBrowser = str(" Mobile"), str("iOS"), str("safari")
		landing.Channel, landing.UTMSource, landing.UTMMedium, landing.UTMCampaign = str("paid_social"), str("Instagram"), str("cpc"), str("spring_sale")
		landing.Referrer, landing.PagePath, landing.Country = str("https://l.instagram.com/x?u=me@example.com"), str("/?utm_source=instagram"), str("es")
		next := landing
		next.EventID, next.EventTime, next.SequenceNumber = "d-3", landing.EventTime.Add(30e9), "12"
		next.EventType, next.PagePath, next.Channel, next.Referrer = stream.ProductView, str("/products/2"), str("direct"), str("")
		p, q := int64(2), int64(1)
		next.ProductID, next.Quantity = &p, &q
		next.Extra = json.RawMessage(`{"ab_test":"b"}`)
		garbled := ev{id: "d-4", typ: "page_view", session: "dim3", at: "2026-01-03T11:00:00Z", seq: "13"}.record(t)
		garbled.DeviceType, garbled.Country, garbled.Channel, garbled.UTMCampaign = str("phablet"), str("ESP"), str("organic_search"), str("")

		src := martsSource(t)
		src.putEvents(t, "2026-01-03", "11", "clicks-0-10-13", []stream.RawRecord{v1, landing, next, garbled})
		w := open(t)
		mustLoad(t, w, src)
		mustTransform(t, w)

		got := joinRows(queryStrings(t, w, `SELECT event_id, device_type, device_os, device_browser, channel, utm_source, utm_medium,
			utm_campaign, referrer_host, page_path, country, COALESCE(extra, '-')
			FROM core.events WHERE event_id LIKE 'd-%' ORDER BY event_id`))
		want := "d-1|unknown|unknown|unknown|unknown|unknown|unknown|unknown|unknown|unknown|unknown|-\n" +
			"d-2|mobile|ios|safari|paid_social|instagram|cpc|spring_sale|l.instagram.com|/|ES|-\n" +
			"d-3|mobile|ios|safari|direct|instagram|cpc|spring_sale|(none)|/products/2|ES|{\"ab_test\":\"b\"}\n" +
			"d-4|unknown|unknown|unknown|organic_search|unknown|unknown|(none)|unknown|unknown|unknown|-\n"
		if got != want {
			t.Errorf("core.events dimensions:\n%s\nwant\n%s", got, want)
		}
		got = joinRows(queryStrings(t, w, `SELECT session_id, device_type, channel, utm_campaign, referrer_host, landing_page, country
			FROM core.sessions WHERE session_id IN ('dim1', 'dim2', 'dim3') ORDER BY session_id`))
		want = "dim1|unknown|unknown|unknown|unknown|unknown|unknown\n" +
			"dim2|mobile|paid_social|spring_sale|l.instagram.com|/|ES\n" +
			"dim3|unknown|organic_search|(none)|unknown|unknown|unknown\n"
		if got != want {
			t.Errorf("core.sessions dimensions:\n%s\nwant\n%s", got, want)
		}
		// marts.traffic_sources groups the day's sessions by their first
		// event's channel, device and country.
		got = joinRows(queryStrings(t, w, `SELECT channel, device_type, country, CAST(sessions AS VARCHAR),
			CAST(reached_product_view AS VARCHAR), CAST(reached_purchase AS VARCHAR), CAST(funnel_conversion AS VARCHAR)
			FROM marts.traffic_sources WHERE date = DATE '2026-01-03' ORDER BY channel, device_type, country`))
		want = "organic_search|unknown|unknown|1|0|0|0.0000\n" +
			"paid_social|mobile|ES|1|1|0|0.0000\n" +
			"unknown|unknown|unknown|1|0|0|0.0000\n"
		if got != want {
			t.Errorf("marts.traffic_sources on 2026-01-03:\n%s\nwant\n%s", got, want)
		}
		rows := queryStrings(t, w, `SELECT CAST(row_no AS VARCHAR), disposition, reason FROM staging.quarantine
			WHERE entity = 'events' ORDER BY row_no`)
		if len(rows) != 1 || rows[0][0] != "4" || rows[0][1] != "repaired" || !strings.Contains(rows[0][2], "device_type, country") {
			t.Errorf("quarantine: %v, want record 4 repaired naming device_type, country", rows)
		}
		if got := joinRows(queryStrings(t, w, `SELECT CAST(count(*) AS VARCHAR) FROM core.events WHERE event_id LIKE 'd-%' AND page_path LIKE '%?%'`)); got != "0\n" {
			t.Errorf("a page path kept its query string: %s", got)
		}
	})
}
