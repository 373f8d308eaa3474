package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// The fan-out experiment (-subscribers N): N anonymous WebSocket clients
// (graphql-transport-ws, one connection each) subscribe to
// inventoryChanged of one product on a fresh server; then the staff
// account changes a variant's stock -fanout-rounds times over HTTP. It
// reports the server's resident memory per idle subscription, the latency
// from sending the mutation to each subscriber's event (p50, p99, max: it
// includes the mutation itself, whose own latency is reported beside it),
// and the SQL statements per event (pg_stat_statements calls over the
// rounds, less the mutations' own, per round).

const fanoutRounds = 10

// fanoutResult is the experiment's figures.
type fanoutResult struct {
	Subscribers      int     `json:"subscribers"`
	Rounds           int     `json:"rounds"`
	RSSBeforeMB      float64 `json:"rss_before_mb"`
	RSSAfterMB       float64 `json:"rss_with_subscribers_mb"`
	KBPerIdle        float64 `json:"kb_per_idle_subscription"`
	MutationP50MS    float64 `json:"mutation_p50_ms"`
	EventP50MS       float64 `json:"event_p50_ms"`
	EventP99MS       float64 `json:"event_p99_ms"`
	EventMaxMS       float64 `json:"event_max_ms"`
	Missed           int     `json:"missed_events"`
	StatementsPerEvt float64 `json:"statements_per_event"`
}

type wsSub struct {
	c      *websocket.Conn
	events chan time.Time
}

func (b *bench) fanout(ctx context.Context, n int) (fanoutResult, error) {
	res := fanoutResult{Subscribers: n, Rounds: fanoutRounds}
	p, err := b.startServer(ctx)
	if err != nil {
		return res, err
	}
	defer p.stop()
	url := p.base + "/graphql"
	var catalog struct {
		Products struct {
			Edges []struct {
				Node struct {
					ID       string `json:"id"`
					Variants []struct {
						ID string `json:"id"`
					} `json:"variants"`
				} `json:"node"`
			} `json:"edges"`
		} `json:"products"`
	}
	if _, err := postGraphQL(ctx, url, "", graphqlRequest{Query: `{ products(first: 1) { edges { node { id variants { id } } } } }`}, &catalog); err != nil {
		return res, err
	}
	if len(catalog.Products.Edges) == 0 || len(catalog.Products.Edges[0].Node.Variants) == 0 {
		return res, fmt.Errorf("no product with variants")
	}
	product := catalog.Products.Edges[0].Node
	initial := len(product.Variants)

	before, err := currentRSSKB(p.pid())
	if err != nil {
		return res, err
	}
	subs := make([]*wsSub, 0, n)
	defer func() {
		for _, s := range subs {
			s.c.CloseNow()
		}
	}()
	wsURL := "ws" + strings.TrimPrefix(url, "http")
	for range n {
		s, err := subscribeInventory(ctx, wsURL, product.ID, initial)
		if err != nil {
			return res, fmt.Errorf("subscriber %d: %w", len(subs)+1, err)
		}
		subs = append(subs, s)
	}
	time.Sleep(2 * time.Second) // settle: the collector, the idle sockets
	after, err := currentRSSKB(p.pid())
	if err != nil {
		return res, err
	}
	res.RSSBeforeMB, res.RSSAfterMB = float64(before)/1024, float64(after)/1024
	res.KBPerIdle = float64(after-before) / float64(n)

	if err := b.cl.resetStatements(ctx); err != nil {
		return res, err
	}
	var lat, mut []time.Duration
	mutation := graphqlRequest{Query: `mutation($in: AdjustStockInput!) { adjustStock(input: $in) { variant { id } } }`,
		Variables: map[string]any{"in": map[string]any{"variantId": product.Variants[0].ID, "delta": 1, "reason": "bench"}}}
	for range fanoutRounds {
		sent := time.Now()
		if _, err := postGraphQL(ctx, url, b.token, mutation, nil); err != nil {
			return res, err
		}
		mut = append(mut, time.Since(sent))
		deadline := time.After(30 * time.Second)
		for _, s := range subs {
			select {
			case at := <-s.events:
				lat = append(lat, at.Sub(sent))
			case <-deadline:
				res.Missed++
			}
		}
	}
	calls, err := b.cl.statementCalls(ctx)
	if err != nil {
		return res, err
	}
	// The mutation's own statements: one more round with the
	// subscribers gone.
	for _, s := range subs {
		s.c.Close(websocket.StatusNormalClosure, "")
	}
	subs = nil
	time.Sleep(500 * time.Millisecond)
	if err := b.cl.resetStatements(ctx); err != nil {
		return res, err
	}
	if _, err := postGraphQL(ctx, url, b.token, mutation, nil); err != nil {
		return res, err
	}
	own, err := b.cl.statementCalls(ctx)
	if err != nil {
		return res, err
	}
	res.StatementsPerEvt = float64(calls-own*fanoutRounds) / fanoutRounds
	slices.Sort(lat)
	slices.Sort(mut)
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	if len(lat) > 0 {
		res.EventP50MS, res.EventP99MS, res.EventMaxMS = ms(lat[len(lat)/2]), ms(lat[len(lat)*99/100]), ms(lat[len(lat)-1])
	}
	res.MutationP50MS = ms(mut[len(mut)/2])
	return res, nil
}

// subscribeInventory opens one subscriber and waits for its initial
// events; later events' arrival times go to events.
func subscribeInventory(ctx context.Context, url, product string, initial int) (*wsSub, error) {
	dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	c, _, err := websocket.Dial(dctx, url, &websocket.DialOptions{Subprotocols: []string{"graphql-transport-ws"}})
	if err != nil {
		return nil, err
	}
	send := func(m any) error {
		b, _ := json.Marshal(m)
		return c.Write(dctx, websocket.MessageText, b)
	}
	read := func() (map[string]any, error) {
		_, b, err := c.Read(dctx)
		if err != nil {
			return nil, err
		}
		var m map[string]any
		return m, json.Unmarshal(b, &m)
	}
	if err := send(map[string]any{"type": "connection_init"}); err != nil {
		return nil, err
	}
	if m, err := read(); err != nil || m["type"] != "connection_ack" {
		return nil, fmt.Errorf("connection_init: %v %v", m, err)
	}
	if err := send(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
		"query":     `subscription($p: [ID!]!) { inventoryChanged(productIds: $p) { id inStock } }`,
		"variables": map[string]any{"p": []string{product}}}}); err != nil {
		return nil, err
	}
	for range initial {
		if m, err := read(); err != nil || m["type"] != "next" {
			return nil, fmt.Errorf("initial event: %v %v", m, err)
		}
	}
	s := &wsSub{c: c, events: make(chan time.Time, 64)}
	go func() {
		for {
			_, r, err := c.Reader(context.Background())
			if err != nil {
				return
			}
			io.Copy(io.Discard, r)
			s.events <- time.Now()
		}
	}()
	return s, nil
}

// writeFanout prints the experiment's figures.
func writeFanout(w io.Writer, r fanoutResult) {
	fmt.Fprintf(w, "\nSubscriptions: %d anonymous WebSocket subscribers of one product's inventoryChanged, %d stock changes by staff over HTTP.\n\n", r.Subscribers, r.Rounds)
	fmt.Fprintln(w, "| RSS before → with subscribers | per idle subscription | mutation p50 | event p50 | event p99 | event max | missed | statements per event |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	fmt.Fprintf(w, "| %.1f → %.1f MB | %.1f KB | %.2f ms | %.2f ms | %.2f ms | %.2f ms | %d | %.1f |\n",
		r.RSSBeforeMB, r.RSSAfterMB, r.KBPerIdle, r.MutationP50MS, r.EventP50MS, r.EventP99MS, r.EventMaxMS, r.Missed, r.StatementsPerEvt)
}
