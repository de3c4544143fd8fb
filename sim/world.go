package sim

import (
	"fmt"
	"slices"
	"sort"
	"time"

	"github.com/shoplake/shoplake/internal/money"
	"github.com/shoplake/shoplake/internal/tz"
	"github.com/shoplake/shoplake/stream"
)

// StatusCompleted is the status of most orders; see also StatusCancelled and
// StatusRefunded. An order's final status is drawn when it is created; with
// Config.OrderLifecycle it reaches it later (lifecycle.go).
const StatusCompleted = "completed"

// Order is one FakeStore cart: a purchase by a registered user.
type Order struct {
	ID     int64 // 1, 2, ... in (Date, purchase event_id) order
	UserID int64
	Date   time.Time // the purchase event's event_time
	Lines  []Line    // the cart at purchase, in the order products were added
	Status string    // StatusCompleted, StatusCancelled or StatusRefunded: the final status
	// Changes are the order's changes after it was placed, in time order
	// (Config.OrderLifecycle; lifecycle.go); nil without the lifecycle,
	// where Status holds from Date on.
	Changes []StatusChange `json:",omitempty"`
}

// Line is one product of an order, FakeStore's {"productId", "quantity"}.
type Line struct {
	ProductID int64
	Quantity  int64
}

// World is everything a run knows to be true. Build it with NewWorld, or
// literally in tests (the oracle and the server only read the exported
// fields). A World is never modified after it is built, so it is safe for
// concurrent readers.
type World struct {
	Config Config // normalized: Start in UTC, Products defaulted
	// Users is every user, by ID (ID i is Users[i-1]); nil in a World of
	// NewWorldWithoutEvents, which derives a user when asked: read users
	// with NumUsers, User and UsersAsOf, which answer either way.
	Users    []User
	Products []Product
	Orders   []Order        // by ID, which is by Date
	Events   []stream.Event // sorted by (EventTime, EventID)
	Stats    Stats          // what NewWorld generated; zero in a literal World
	// Lookback is how many days of carts each daily batch reads (the
	// pipeline's fakestore.lookback_days; 0 means 1): with the order
	// lifecycle, the oracle reports each order as the last batch that read
	// it saw it (Observed).
	Lookback int
	// Zone is the business time zone of the marts (the pipeline's
	// warehouse.time_zone; nil is UTC): the calendar of every date and
	// period the oracle reports (docs/MARTS.md §0). The simulator's days,
	// batches and horizon stay UTC instants.
	Zone *tz.Zone
	// MissedBatches are dates whose batch has not read the source (its
	// ingestion failed and is not rerun yet): an order is as the latest
	// batch that did read it saw it.
	MissedBatches []time.Time

	hourly []int // events per hour from Config.Start; nil in a literal World
	// derive, in a World of NewWorldWithoutEvents, is the generator that
	// derives its users; such a World has no events, and the oracle
	// refuses it.
	derive *Generator
}

// NumUsers returns the number of users of the World.
func (w *World) NumUsers() int {
	if w.derive != nil {
		return w.derive.NumUsers()
	}
	return len(w.Users)
}

// User returns the user with id, whenever created; false if there is none.
func (w *World) User(id int64) (User, bool) {
	if w.derive != nil {
		return w.derive.User(id)
	}
	us := w.Users
	if i := id - 1; i >= 0 && i < int64(len(us)) && us[i].ID == id {
		return us[i], true
	}
	for _, u := range us {
		if u.ID == id {
			return u, true
		}
	}
	return User{}, false
}

// userIDsAsOf returns the IDs of the users with CreatedAt <= t, ascending,
// without building a derived World's users.
func (w *World) userIDsAsOf(t time.Time) []int64 {
	var ids []int64
	if w.derive != nil {
		for i, c := range w.derive.created {
			if !time.UnixMilli(c).After(t) {
				ids = append(ids, int64(i+1))
			}
		}
		return ids
	}
	for _, u := range w.Users {
		if !u.CreatedAt.After(t) {
			ids = append(ids, u.ID)
		}
	}
	slices.Sort(ids)
	return ids
}

// events returns w.Events for the oracle, which cannot answer without
// them: it panics on a World built by NewWorldWithoutEvents, whose empty
// Events would otherwise read as a shop without visitors.
func (w *World) events() []stream.Event {
	if w.derive != nil {
		panic("sim: the oracle needs the events; this World was built by NewWorldWithoutEvents (use NewWorld)")
	}
	return w.Events
}

// NewWorld builds the World of cfg: a Generator run collected into slices,
// every user built. It returns an error wrapping ErrInvalidConfig if cfg does
// not validate. Every event it generates passes (*stream.Event).Validate and
// falls in [cfg.Start, cfg.End()).
func NewWorld(cfg Config) (*World, error) { return newWorld(cfg, true) }

// NewWorldWithoutEvents is NewWorld keeping no event and no user: Events
// and Users are nil, and everything else (products, orders, Stats,
// EventCount) is the same; NumUsers, User and UsersAsOf derive the same
// users on demand. Its memory grows with the orders only, so a run of any
// size can hold it; the events themselves are drawn again, as a stream, from
// NewGenerator(w.Config), which gives the very same events. The oracle needs
// the events and cannot answer on such a World.
func NewWorldWithoutEvents(cfg Config) (*World, error) { return newWorld(cfg, false) }

func newWorld(cfg Config, keepEvents bool) (*World, error) {
	g, err := NewGenerator(cfg)
	if err != nil {
		return nil, err
	}
	var events []stream.Event
	start := g.Config().Start
	hourly := make([]int, g.Config().Days*24)
	for e := range g.Events {
		if keepEvents {
			events = append(events, e)
		}
		if h := int(e.EventTime.Sub(start) / time.Hour); h >= 0 && h < len(hourly) {
			hourly[h]++
		}
	}
	var users []User
	var derive *Generator
	if keepEvents {
		users = make([]User, g.NumUsers())
		for i := range users {
			users[i], _ = g.User(int64(i + 1))
		}
	} else {
		derive = g
	}
	return &World{
		Config:   g.Config(),
		Users:    users,
		Products: g.Products(),
		Orders:   g.Orders(),
		Events:   events,
		Stats:    g.Stats(),
		hourly:   hourly,
		derive:   derive,
	}, nil
}

// EventCount returns the number of events with from <= event_time < to.
// On a World built by NewWorld or NewWorldWithoutEvents it answers from a
// count per hour when from and to are whole hours of the run; otherwise it
// counts Events.
func (w *World) EventCount(from, to time.Time) int {
	start := w.Config.Start
	if w.hourly != nil && from.Sub(start)%time.Hour == 0 && to.Sub(start)%time.Hour == 0 {
		lo := max(0, int(from.Sub(start)/time.Hour))
		hi := min(len(w.hourly), int(to.Sub(start)/time.Hour))
		n := 0
		for h := lo; h < hi; h++ {
			n += w.hourly[h]
		}
		return n
	}
	lo, hi := w.eventRange(from, to)
	return hi - lo
}

// EventsBetween returns the events with from <= event_time < to, sorted by
// (EventTime, EventID). The slice is new, but the events' pointer fields are
// shared with the World and must not be modified.
func (w *World) EventsBetween(from, to time.Time) []stream.Event {
	lo, hi := w.eventRange(from, to)
	if hi == lo {
		return []stream.Event{}
	}
	return slices.Clone(w.Events[lo:hi])
}

// eventRange returns the positions [lo, hi) of Events with from <=
// event_time < to (lo == hi when there are none).
func (w *World) eventRange(from, to time.Time) (lo, hi int) {
	lo = sort.Search(len(w.Events), func(i int) bool { return !w.Events[i].EventTime.Before(from) })
	hi = sort.Search(len(w.Events), func(i int) bool { return !w.Events[i].EventTime.Before(to) })
	return lo, max(lo, hi)
}

// OrderTotal returns the sum over o's lines of quantity × the product's
// price in force at o.Date (PriceAt). It panics if a line names a product the
// World does not have: a World built by NewWorld never does.
func (w *World) OrderTotal(o Order) money.Cents {
	var sum money.Cents
	for _, l := range o.Lines {
		p, ok := w.product(l.ProductID)
		if !ok {
			panic(fmt.Sprintf("sim: order %d references unknown product %d", o.ID, l.ProductID))
		}
		price, _ := p.priceAt(o.Date)
		sum += money.Cents(l.Quantity) * price
	}
	return sum
}

// product finds a product by id, whatever the order of w.Products.
func (w *World) product(id int64) (*Product, bool) {
	if i := int(id - 1); i >= 0 && i < len(w.Products) && w.Products[i].ID == id {
		return &w.Products[i], true
	}
	for i := range w.Products {
		if w.Products[i].ID == id {
			return &w.Products[i], true
		}
	}
	return nil, false
}
