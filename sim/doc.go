// Package sim is the seeded world of a shoplake run: users, products, orders
// (FakeStore carts) and the clickstream sessions that produced them, a
// FakeStore-compatible HTTP server over that world, and the oracle that
// computes the true value of every mart directly from it.
//
// # Determinism
//
// Every random value comes from rng.New(cfg.Seed, name), one named stream per
// purpose, or from a keyed derivation of the seed; nothing reads the wall
// clock or the global random source. The same Config always yields the same
// World, the same event stream, the same JSON and the same HTTP bytes.
//
// Streams: "sim/users" (sign-up times), "sim/products" (category, price,
// rating, popularity), "sim/products/text" (gofakeit), "sim/products/life"
// (listing and withdrawal days), "sim/products/prices" (price changes),
// "sim/products/hostile" (hostile strings), and per day N (0-based)
// "sim/sessions/day-N" (arrivals and behaviour of the sessions that start on
// day N) and "sim/ids/day-N" (session, event and anonymous ids). Each stream
// is drawn the same way whatever the optional rates, so turning on tracking
// loss, statuses or hostile strings changes only what they govern (a world
// with TrackingLoss differs from the same world without it only by the
// dropped purchase events).
//
// Keyed derivations (cheap, independent of generation order; keyed.at in
// users.go): value(name, id, i) = splitmix64(seed ^ splitmix64(fnv64a(name) ^
// id×0x9e3779b97f4a7c15 + i)). "sim/devices" gives a user's device count (2
// for a third of users) and device UUIDs; "sim/users/activity" a user's
// activity level. A user's text fields (names, email, password, address,
// country) come from rand.NewPCG(seed, fnv64a("sim/users/text") ^
// splitmix64(id)) and gofakeit over it, built on demand (Generator.User), so
// a million users cost 8 bytes each (the sign-up time) until served. Emails
// (first.last<id>@domain) and usernames (<letters>_<id>) embed the id and are
// unique by construction.
//
// # Users and products
//
// Users/3 users signed up uniformly in the year before Start; the others sign
// up during the run, at times that follow the traffic (rhythm and campaigns).
// Ids increase with CreatedAt. Countries: mostly Spain, then Latin America,
// the rest of Europe and the US (see countries in users.go).
//
// Products have one of four categories and a price in the category's range.
// Optional, all off at the zero Config (Config.Realistic turns them on):
//   - PriceChangeRate: chance per product and week of a price change
//     (-30%..+20%), taking effect at 00:00 UTC of a day of the run, at most
//     one per product per day, recorded in Product.Prices. World.PriceAt,
//     World.ProductsAsOf (with PriceValidFrom) and World.OrderTotal use the
//     price in force; every event carries the price in force at its time.
//     Changing prices at midnight lets a daily products snapshot plus
//     priceValidFrom rebuild the exact history.
//   - WithdrawRate: chance per product and week of a withdrawal at a
//     midnight of the run; a withdrawn product leaves ProductsAsOf at
//     WithdrawnAt, sessions stop viewing it, and a cart that holds it at
//     checkout or purchase is abandoned. Orders before the withdrawal keep it.
//   - NewProductShare: the highest ids are listed at a midnight after the
//     first day (ListedAt); PriceAt is false before.
//   - OrderLifecycle (with PartialRefundRate): orders are cancelled 10 min to
//     20 h, refunded 1 to 14 days after they are placed, some two-line
//     orders with one line returned (lifecycle.go); the API serves a cart as
//     of the request. Without it an order has its final status from the
//     start.
//   - HostileRate: that share of products get a HostileString title, a third
//     of them also a HostileCategories name. Hostile strings hold quotes, ../,
//     SQL, backslashes, the control characters \t \n \r \x1b \x7f and \x00
//     (JSON escapes them; a store that cannot hold NUL must quarantine or
//     escape it), and unicode (combining marks, RTL override, emoji). They are
//     always valid UTF-8. The funnel uses the product's base category.
//
// # Traffic
//
// Sessions arrive as an inhomogeneous Poisson process, generated in time
// order. Its rate is a base rate × the rhythm × campaigns × Config.Traffic:
//   - rhythm: hourly weights (weekday: evening peak; weekend: late morning,
//     long afternoon) × day weights (Sun 1.30, Sat 1.10, Mon-Thu 0.95, Fri
//     0.80), both averaging 1; UTC. Weekends are busier than weekdays.
//   - Config.Campaigns multiply the rate while they run (overlaps multiply).
//   - base: UserSessionRate (0.30/day) per registered user, scaled by the
//     user's activity level (1, 2 or 4 for 60/30/10% of users, /1.6);
//     AnonPerUser (0.5/day) anonymous sessions per registered user (+1);
//     and, for every customer (a user with an order in the run), ReturnBoost
//     (0.6/day) × loyalty (1 + 0.5×min(orders-1, 3)) × exp(-age/ReturnDecay)
//     with age the time since the last order and ReturnDecay 7 days.
//     Customers come back soon and then less and less, so cohort retention
//     by first-order week or month is high at first with a decaying tail.
//   - every user who signs up during the run has one session at sign-up.
//
// Each piece of constant rate (a UTC hour, cut at campaign boundaries) draws
// exponential gaps; a registered or returning candidate is a uniform pick
// accepted with its relative rate (thinning), which keeps per-user state to a
// few bytes: sign-up time, last order time, order count.
//
// # Sessions
//
// A session is a page_view, then with PViewProduct (0.60; returning 0.75) 1
// to 4 (returning 5) product_views of listed products drawn by weight
// (category browse weight: electronics 1.6, women's 1.2, men's 1.0, jewelery
// 0.7; × a log-normal popularity); each viewed product is added to the cart
// with PAddPerView (0.14) × the category's factor (clothing 1.15-1.2,
// jewelery 0.8, electronics 0.7) × a price factor ((30.00/price)^0.35 within
// [0.35, 1.8]: cheaper converts better) × ReturningAddFactor (1.5) for a
// returning customer; a removal (PRemoveFromCart 0.15); a begin_checkout
// (PBeginCheckout 0.50); and a purchase with PPurchase (0.60) × a cart factor
// ((100.00/value)^0.15 within [0.7, 1.15]). Events are seconds to minutes
// apart, with millisecond timestamps. Event fields:
//   - product_view, add_to_cart, remove_from_cart: product_id and price (the
//     product's price in force at the event); the cart events also carry
//     quantity (1, or 2-3 for a quarter of adds);
//   - begin_checkout: price = the cart's value, no product_id;
//   - purchase: order_id and price = the order's total, no product_id;
//   - user_id: set on every event of a logged-in session; an anonymous
//     session that reaches checkout either logs in as an existing user at
//     begin_checkout (PAnonLogin 0.80; user_id set from that event on) or
//     abandons after an anonymous begin_checkout. A purchase always has a
//     user_id.
//
// Sessions are cut short rather than emit an event at or after Config.End.
//
// # Orders
//
// Orders are created only by purchases: Order.Date is the purchase's
// event_time, its lines the cart at purchase, and order ids count 1, 2, ...
// in (event_time, event_id) order of the purchases, untracked ones included.
// With Config.TrackingLoss, that share of purchases emits no event: the order
// exists in the API, the stream never hears of it (Stats.UntrackedPurchases).
//
// An order's status is fixed when it is created: StatusCancelled with
// CancelRate, StatusRefunded with RefundRate, else StatusCompleted. The API
// never changes a cart afterwards, so a daily ingestion of carts by date is
// complete; statuses that change over time are a possible later extension.
// A cancelled or refunded order still had its purchase event.
//
// # Streaming and scale
//
// Generator produces the events in (EventTime, EventID) order as an
// iter.Seq (for e := range g.Events), orders through OnOrder or Orders, and
// Stats. Session starts are drawn in increasing time; each session's events
// are generated when it starts and held in a min-heap until no later session
// can precede them, so memory is bounded by the sessions open at once, not by
// the day. NewWorld is a Generator run collected into slices, so a World and
// a stream of the same Config are equal event for event.
//
// # FakeStore API
//
// NewServer answers GET and HEAD on /products, /products/{id},
// /products/categories, /products/category/{name}, /users, /users/{id},
// /carts, /carts/{id} and /carts/user/{id} with the shapes of the public
// FakeStore API (see testdata/fakestore), as of the server's clock read once
// per request: the products of World.ProductsAsOf (withdrawn ones are gone
// from every route; prices are those in force), the users of
// World.UsersAsOf, the carts (orders, whatever their status) with date <=
// now. /products/categories is the distinct categories of the listed
// products, sorted by bytes. An unknown category or user id gives [], as in
// FakeStore.
//
// Paths are split on '/' before percent-decoding, so a {name} may hold any
// character ("a%2Fb" is the category "a/b", "%22" a quote, "%0A" a newline);
// dot segments are never resolved and nothing redirects: a path parameter is
// a value to compare, never a location.
//
// Extensions to FakeStore's shapes, always appended after its last field:
//   - products carry "priceValidFrom": when the price in force took effect
//     (the last price change at or before now, or the listing time), or null
//     if it has held since before the simulated period;
//   - users carry "country" (ISO 3166-1 alpha-2) and "createdAt";
//   - carts carry "status" ("completed", "cancelled" or "refunded").
//
// Dates ("date", "createdAt", "priceValidFrom") are written as FakeStore
// writes them, in UTC with milliseconds: "2020-03-02T00:00:02.000Z". Prices
// are JSON numbers with two decimals ("109.95", "22.30", "695.00").
//
// Query parameters, on the list routes:
//   - limit=N (N >= 1): the first N objects after sorting;
//   - sort=asc|desc: order by id (default asc);
//   - on /carts and /carts/user/{id}, startdate=YYYY-MM-DD (inclusive) and
//     enddate=YYYY-MM-DD (exclusive), compared with the cart's date in UTC;
//   - pagination (extension): page=P (>= 1, default 1) and per_page=M
//     (1..MaxPerPage, default DefaultPerPage). With either, the list (after
//     filters, sort and limit) is cut into pages; the response carries
//     X-Total-Count (the list's length) and a Link header (RFC 8288) with
//     rel "first", "prev", "next" (while objects remain) and "last", as
//     relative references; a page past the end is []. Without either, the
//     response is FakeStore's plain array, byte for byte.
//
// A bad query value (limit=0, sort=up, startdate=2026-13-01, startdate after
// enddate, page=0, per_page=10001) is answered 400; a non-integer id 400; a
// missing object 404; an unknown path 404; a method other than GET or HEAD on
// a known route 405. Every error body is a JSON object {"error": "..."}.
//
// # Faults
//
// Faults wraps the server (Faults.Wrap) and injects, per route and by
// probability, every Nth request or a window on the server's clock: 5xx,
// 429 with Retry-After, connection reset, a hang until the client gives up,
// a slow body (trickled with clock.Sleep: simulated time under clock.Sim), a
// truncated body (io.ErrUnexpectedEOF), malformed JSON, schema drift (a price
// as a string, a missing field) and duplicate ids. Each rule draws from its
// own stream rng.New(seed, "sim/faults/<endpoint>/<kind>/<k>"), so the same
// rules, seed, clock and request sequence give the same faults; a request
// gets at most one, and every applied fault is counted per route and kind
// (Counts, Fired) for "sometimes" assertions. Rules carry yaml tags for
// scenario files; NewFaults validates them and lists every problem.
//
// # Anomalies
//
// An Anomalizer turns the clean event stream into what a client fleet
// sends: Deliveries with a send time, a partition key and payload bytes,
// with duplicates, late arrivals, out-of-order sends, client clocks ahead or
// behind, conflicting versions (an event resent re-stamped: same event_id,
// another payload) and malformed records (invalid JSON, missing fields,
// wrong types, unknown event types, oversized payloads) injected at
// configured rates and every one counted (AnomalyCounts, OnAnomaly). Malformed records are extra
// junk by default, so the expected CORE is every input event_id once.
//
// # Oracle
//
// The oracle computes, in Go and from the World alone, the true value of
// every mart: DailyKPIs, SessionFunnel, CohortRetention, CustomerLTV and
// CohortLTV, ProductConversion and CategoryConversion, and Reconciliation
// of purchase events with orders. docs/MARTS.md is the contract: it defines
// every column, and the warehouse's SQL implements the same definitions.
package sim
