package store

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"sync"

	"entgo.io/ent/dialect"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/user"
	"github.com/shopgraph/shopgraph/ent/variant"
)

// Change events: what subscriptions hear of. An event exists if and only
// if its change committed, and carries IDs only (a subscriber loads the
// object itself, under its own viewer, so no event can show it a row it
// may not see).
//
// They are noted by ent hooks that every client from Open and NewClient
// carries, as the product keys are (keys.go), so no write path has to
// remember them: an order created or whose status changed, a variant whose
// price or stock changed (stock also through the stock movements that the
// checkout's own SQL records). In a transaction the notes are gathered and
// sent at COMMIT:
//
//   - PostgreSQL: pg_notify on EventChannel in the same transaction, just
//     before COMMIT. PostgreSQL delivers notifications only if, and when,
//     the transaction commits, to every session listening on any instance
//     (Store.Listen), so fan-out across instances needs nothing more.
//   - SQLite (one process): straight to the Hub, after the commit
//     succeeded.

// EventChannel is the PostgreSQL notification channel of change events.
const EventChannel = "shopgraph_events"

// EventKind says what changed.
type EventKind uint8

const (
	OrderPlaced EventKind = iota + 1
	OrderUpdated
	VariantChanged
	// Resync: events may have been lost (the listener reconnected, or the
	// subscriber was too slow); reload what you show.
	Resync
	// TokensRevoked: the user's access tokens were revoked (sign-out,
	// password change); connections authenticated by them must end.
	TokensRevoked
)

// Event is one committed change.
type Event struct {
	Kind    EventKind
	ID      int // the order or the variant
	Product int // VariantChanged: the variant's product
	// Shared is what the subscribers of this one event work out once for
	// all of them (the rows they load), set by the Hub: every copy of the
	// event it delivers carries the same one. Nil for a Resync, which is
	// owed to one subscriber.
	Shared *Shared
}

// Shared holds values computed once per event for every subscriber that
// receives it: a thousand subscribers to one product load its changed
// variant once, not a thousand times. It lives as long as the event's
// last copy. The zero value is ready; a nil *Shared shares nothing.
type Shared struct{ m sync.Map }

type sharedValue struct {
	once sync.Once
	v    any
}

// Once returns the value for key, made by make on first use; concurrent
// callers with the same key wait for that one make. Keys are compared
// with ==, like map keys: put in them everything the value depends on
// (for rows, what the row rules of the viewer depend on).
func (s *Shared) Once(key any, make func() any) any {
	if s == nil {
		return make()
	}
	sv, _ := s.m.LoadOrStore(key, &sharedValue{})
	v := sv.(*sharedValue)
	v.once.Do(func() { v.v = make() })
	return v.v
}

// OrderTopic is the hub topic of one order's events (placed, updated).
func OrderTopic(id int) string { return "order:" + strconv.Itoa(id) }

// ProductTopic is the hub topic of the changes of one product's variants.
func ProductTopic(id int) string { return "product:" + strconv.Itoa(id) }

// NewOrdersTopic is the hub topic of every order placed.
const NewOrdersTopic = "orders"

// UserTopic is the hub topic of one user's token revocations.
func UserTopic(id int) string { return "user:" + strconv.Itoa(id) }

func (e Event) topics() []string {
	switch e.Kind {
	case OrderPlaced:
		return []string{OrderTopic(e.ID), NewOrdersTopic}
	case OrderUpdated:
		return []string{OrderTopic(e.ID)}
	case VariantChanged:
		return []string{ProductTopic(e.Product)}
	case TokensRevoked:
		return []string{UserTopic(e.ID)}
	}
	return nil
}

// subscriptionBuffer is how many events a subscriber may fall behind
// before it is told to resync instead: a slow subscriber never blocks the
// publisher or the others.
const subscriptionBuffer = 32

// Hub fans events out to this process's subscribers.
type Hub struct {
	mu     sync.Mutex
	topics map[string]map[*Subscription]struct{}
	subs   map[*Subscription]struct{}
}

// NewHub returns an empty hub.
func NewHub() *Hub {
	return &Hub{topics: map[string]map[*Subscription]struct{}{}, subs: map[*Subscription]struct{}{}}
}

// Subscription receives the events of its topics on C until Close. If it
// falls more than subscriptionBuffer events behind, the events it missed
// are replaced by one Resync.
type Subscription struct {
	C      <-chan Event
	c      chan Event
	resync chan Event // capacity 1: a Resync owed
	hub    *Hub
	topics []string
	once   sync.Once
}

// Subscribe returns a subscription to topics.
func (h *Hub) Subscribe(topics ...string) *Subscription {
	c := make(chan Event, subscriptionBuffer)
	s := &Subscription{C: c, c: c, resync: make(chan Event, 1), hub: h, topics: slices.Clone(topics)}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.subs[s] = struct{}{}
	for _, t := range topics {
		if h.topics[t] == nil {
			h.topics[t] = map[*Subscription]struct{}{}
		}
		h.topics[t][s] = struct{}{}
	}
	return s
}

// Resyncs delivers a Resync owed to the subscriber: select on it beside C.
func (s *Subscription) Resyncs() <-chan Event { return s.resync }

// Close ends the subscription.
func (s *Subscription) Close() {
	s.once.Do(func() {
		h := s.hub
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.subs, s)
		for _, t := range s.topics {
			delete(h.topics[t], s)
			if len(h.topics[t]) == 0 {
				delete(h.topics, t)
			}
		}
	})
}

// Subscribers reports how many subscriptions are open (tests, metrics).
func (h *Hub) Subscribers() int {
	h.mu.Lock()
	defer h.mu.Unlock()
	return len(h.subs)
}

// Publish delivers events to their topics' subscribers, never blocking.
func (h *Hub) Publish(events ...Event) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, e := range events {
		if e.Kind == Resync {
			for s := range h.subs {
				s.owe()
			}
			continue
		}
		e.Shared = &Shared{}
		for _, t := range e.topics() {
			for s := range h.topics[t] {
				select {
				case s.c <- e:
				default:
					s.owe()
				}
			}
		}
	}
}

func (s *Subscription) owe() {
	select {
	case s.resync <- Event{Kind: Resync}:
	default: // one is owed already
	}
}

// pendingEvents are a transaction's events before it commits.
type pendingEvents struct {
	placed, updated []int
	variants        []int // changed, products still to look up
	known           []Event
}

func (p pendingEvents) empty() bool {
	return len(p.placed) == 0 && len(p.updated) == 0 && len(p.variants) == 0 && len(p.known) == 0
}

func (p pendingEvents) plus(q pendingEvents) pendingEvents {
	return pendingEvents{
		placed:   append(slices.Clip(p.placed), q.placed...),
		updated:  append(slices.Clip(p.updated), q.updated...),
		variants: append(slices.Clip(p.variants), q.variants...),
		known:    append(slices.Clip(p.known), q.known...),
	}
}

// emitter installs the hooks that note events, and sends them.
type emitter struct {
	dialect string
	hub     *Hub
}

func (em *emitter) install(c *ent.Client) {
	c.Order.Use(em.changeHook([]string{order.FieldStatus}, func(created ent.Value, changed []int) (p pendingEvents) {
		if o, ok := created.(*ent.Order); ok {
			p.placed = []int{o.ID}
		}
		p.updated = changed
		return p
	}))
	c.Variant.Use(em.changeHook([]string{variant.FieldPrice, variant.FieldStock}, func(created ent.Value, changed []int) (p pendingEvents) {
		if v, ok := created.(*ent.Variant); ok {
			p.known = []Event{{Kind: VariantChanged, ID: v.ID, Product: v.ProductID}}
		}
		p.variants = changed
		return p
	}))
	// The checkout and its cancellation change stock with SQL of their
	// own, and record every change as a stock movement: its variant
	// changed.
	c.StockMovement.Use(em.changeHook(nil, func(created ent.Value, _ []int) (p pendingEvents) {
		if sm, ok := created.(*ent.StockMovement); ok {
			p.variants = []int{sm.VariantID}
		}
		return p
	}))
	// A moved token_version revokes the user's tokens (sign-out,
	// password change).
	c.User.Use(em.changeHook([]string{user.FieldTokenVersion}, func(_ ent.Value, changed []int) (p pendingEvents) {
		for _, id := range changed {
			p.known = append(p.known, Event{Kind: TokensRevoked, ID: id})
		}
		return p
	}))
}

// idMutation is what changeHook needs of a mutation.
type idMutation interface {
	ent.Mutation
	mutationTx
	IDs(context.Context) ([]int, error)
}

// changeHook notes the events of one entity's mutations: notes gets the
// row a create made (else nil) and the IDs of the rows an update that
// sets one of fields changed. Those are chosen before the update runs: its
// predicates may no longer match afterwards.
func (em *emitter) changeHook(fields []string, notes func(created ent.Value, changed []int) pendingEvents) ent.Hook {
	return func(next ent.Mutator) ent.Mutator {
		return ent.MutateFunc(func(ctx context.Context, m ent.Mutation) (ent.Value, error) {
			im, ok := m.(idMutation)
			if !ok {
				return nil, fmt.Errorf("events: unexpected mutation %T", m)
			}
			var changed []int
			if len(fields) > 0 && m.Op().Is(ent.OpUpdate|ent.OpUpdateOne) && changes(m, fields) {
				var err error
				if changed, err = im.IDs(ctx); err != nil {
					return nil, fmt.Errorf("events: rows of %s changed: %w", m.Type(), err)
				}
			}
			v, err := next.Mutate(ctx, m)
			if err != nil {
				return nil, err
			}
			var created ent.Value
			if m.Op().Is(ent.OpCreate) {
				created = v
			}
			return v, em.note(ctx, im, notes(created, changed))
		})
	}
}

// note sends p when the mutation's transaction commits, or now if it runs
// in none.
func (em *emitter) note(ctx context.Context, m mutationTx, p pendingEvents) error {
	if p.empty() {
		return nil
	}
	tx, err := m.Tx()
	if err != nil { // not in a transaction: the write is already committed
		events, err := em.resolve(ctx, m.Client(), p)
		if err != nil {
			return err
		}
		if em.dialect == dialect.Postgres {
			return notify(ctx, m.Client(), events)
		}
		em.hub.Publish(events...)
		return nil
	}
	addCommitWork(tx, em, touched{}, p)
	return nil
}

// commit sends p with tx's commit (next): on PostgreSQL as notifications
// in the transaction, on SQLite to the hub once it committed.
func (em *emitter) commit(ctx context.Context, tx *ent.Tx, p pendingEvents, next ent.Committer) error {
	events, err := em.resolve(ctx, tx, p)
	if err != nil {
		return err
	}
	if em.dialect == dialect.Postgres {
		if err := notify(ctx, tx, events); err != nil {
			return err
		}
		return next.Commit(ctx, tx)
	}
	if err := next.Commit(ctx, tx); err != nil {
		return err
	}
	em.hub.Publish(events...)
	return nil
}

// resolve turns pending notes into events, looking up the products of the
// changed variants (one query, raw SQL: no row rule hides a variant).
func (em *emitter) resolve(ctx context.Context, db querier, p pendingEvents) ([]Event, error) {
	var out []Event
	for _, id := range unique(p.placed) {
		out = append(out, Event{Kind: OrderPlaced, ID: id})
	}
	placed := map[int]bool{}
	for _, id := range p.placed {
		placed[id] = true
	}
	for _, id := range unique(p.updated) {
		if !placed[id] {
			out = append(out, Event{Kind: OrderUpdated, ID: id})
		}
	}
	known := map[int]bool{}
	for _, e := range p.known {
		if e.Kind == VariantChanged {
			known[e.ID] = true
		}
		out = append(out, e)
	}
	var ids []int
	for _, id := range unique(p.variants) {
		if !known[id] {
			ids = append(ids, id)
		}
	}
	for start := 0; start < len(ids); start += inlineBatch {
		end := min(start+inlineBatch, len(ids))
		rows, err := db.QueryContext(ctx, fmt.Sprintf("SELECT id, product_id FROM %s WHERE id IN (%s)", variant.Table, intList(ids[start:end])))
		if err != nil {
			return nil, fmt.Errorf("events: products of variants: %w", err)
		}
		for rows.Next() {
			e := Event{Kind: VariantChanged}
			if err := rows.Scan(&e.ID, &e.Product); err != nil {
				rows.Close()
				return nil, err
			}
			out = append(out, e)
		}
		if err := rows.Close(); err != nil {
			return nil, err
		}
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// wireEvent is an event in a notification's payload: [kind, id, product].
type wireEvent [3]int

// maxPayload keeps each notification under PostgreSQL's 8000-byte limit.
const maxPayload = 7000

// notify sends events on EventChannel, in as many notifications as their
// size needs.
func notify(ctx context.Context, db Execer, events []Event) error {
	var batch []wireEvent
	size := 2
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		payload, err := json.Marshal(batch)
		if err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, "SELECT pg_notify($1, $2)", EventChannel, string(payload)); err != nil {
			return fmt.Errorf("events: notify: %w", err)
		}
		batch, size = batch[:0], 2
		return nil
	}
	for _, e := range events {
		w := wireEvent{int(e.Kind), e.ID, e.Product}
		n := len(strconv.Itoa(w[0])) + len(strconv.Itoa(w[1])) + len(strconv.Itoa(w[2])) + 5
		if size+n > maxPayload {
			if err := flush(); err != nil {
				return err
			}
		}
		batch = append(batch, w)
		size += n
	}
	return flush()
}

// decodeEvents parses a notification's payload.
func decodeEvents(payload string) ([]Event, error) {
	var batch []wireEvent
	if err := json.Unmarshal([]byte(payload), &batch); err != nil {
		return nil, fmt.Errorf("events: payload %.100q: %w", payload, err)
	}
	out := make([]Event, 0, len(batch))
	for _, w := range batch {
		out = append(out, Event{Kind: EventKind(w[0]), ID: w[1], Product: w[2]})
	}
	return out, nil
}
