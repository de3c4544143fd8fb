// Package sim is the seeded world of a shoplake run: users, products, orders
// (FakeStore carts) and the clickstream sessions that produced them, a
// FakeStore-compatible HTTP server over that world, and the oracle that
// computes the true value of every mart directly from it.
//
// # Determinism
//
// NewWorld draws every random value from rng.New(cfg.Seed, name), one named
// stream per purpose: "sim/users" and "sim/users/text" (gofakeit),
// "sim/devices", "sim/products" and "sim/products/text" (gofakeit), and per
// day N (0-based) "sim/sessions/day-N" for behaviour and "sim/ids/day-N" for
// session, event and anonymous ids. It never reads the wall clock. The same Config always yields the same World, the
// same JSON and the same HTTP response bytes.
//
// # Clickstream
//
// Each day, every user registered before the day has a session with
// probability PUserSession; a user who signs up that day has one session
// starting at the sign-up; and about AnonPerUser anonymous sessions per
// registered user arrive. Session starts follow a daily rhythm (UTC). A
// session is a page_view, then maybe product_views, add_to_carts, a
// remove_from_cart, a begin_checkout and a purchase (see the P* rates),
// seconds to minutes apart, with millisecond timestamps. Event fields:
//   - product_view, add_to_cart, remove_from_cart: product_id and price (the
//     product's unit price); the cart events also carry quantity;
//   - begin_checkout: price = the cart's value, no product_id;
//   - purchase: order_id and price = the order's total, no product_id;
//   - user_id: set on every event of a logged-in session; an anonymous
//     session that reaches checkout either logs in as an existing user at
//     begin_checkout (user_id set from that event on) or abandons after an
//     anonymous begin_checkout. A purchase always has a user_id.
//
// Sessions are cut short rather than emit an event at or after Config.End.
// Orders are created only by purchases: Order.Date is the purchase's
// event_time, its lines the cart at purchase, and order ids count 1, 2, ...
// in (event_time, event_id) order of the purchases.
//
// # FakeStore API
//
// NewServer answers GET /products, /users, /carts and /products/{id},
// /users/{id}, /carts/{id} with the shapes of the public FakeStore API (see
// testdata/fakestore), as of the server's clock: a user is served once its
// createdAt <= now, a cart once its date <= now. Products are always served.
//
// Extensions to FakeStore's shapes, always appended after "__v":
//   - users carry "country" (ISO 3166-1 alpha-2) and "createdAt";
//   - carts carry "status" ("completed" for every order today).
//
// Dates ("date", "createdAt") are written as FakeStore writes them, in UTC
// with milliseconds: "2020-03-02T00:00:02.000Z". Prices are JSON numbers with
// two decimals ("109.95", "22.30", "695.00"), never float-formatted.
//
// Query parameters:
//   - limit=N (N >= 1): the first N objects after sorting;
//   - sort=asc|desc: order by id (default asc);
//   - on /carts, startdate=YYYY-MM-DD (inclusive) and enddate=YYYY-MM-DD
//     (exclusive), compared with the cart's date in UTC: a cart is returned
//     when startdate <= date < enddate, each bound applied only if given.
//
// A bad query value (limit=0, sort=up, startdate=2026-13-01, startdate after
// enddate) is answered 400; a missing object 404; a malformed id 400; a
// method other than GET on a known route 405. Every error body is a JSON
// object {"error": "..."}.
//
// # Oracle
//
// DailyKPIs and SessionFunnel compute, in Go and from the World alone, the
// values the warehouse marts must hold. Their doc comments are the
// definitions the SQL implements.
package sim
