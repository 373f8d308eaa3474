package graph_test

import (
	"bytes"
	"context"
	crand "crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	entdialect "entgo.io/ent/dialect"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/orderline"
	"github.com/shopgraph/shopgraph/ent/stockmovement"
	"github.com/shopgraph/shopgraph/ent/user"
	"github.com/shopgraph/shopgraph/graph/relay"
	"github.com/shopgraph/shopgraph/graph/reqlog"
)

// The checkout guarantees under concurrency, over real HTTP: however many
// customers race for the last units, stock is never sold twice nor goes
// below zero, every refusal is OUT_OF_STOCK, and stock on hand plus the
// units in live (not cancelled) orders always equals what there was.

// Small payloads keep the burst about the database, not about JSON.
const (
	checkoutDoc = `mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { order { id number status lines { quantity variant { id } } } } }`
	cancelDoc   = `mutation($input: OrderIdInput!) { cancelOrder(input: $input) { order { id status } } }`
)

// burstWorkers bounds the requests in flight: the server's pool has 10
// connections, and one client connection per worker is kept alive so the
// burst does not run the test machine out of ports.
const burstWorkers = 50

// apiCall is one request of a burst.
type apiCall struct {
	token string
	query string
	vars  map[string]any
}

// callResult is the answer to one apiCall; err is a transport failure.
type callResult struct {
	id  string // the request's X-Request-Id
	res response
	err error
}

// runBurst sends the calls from burstWorkers goroutines and returns the
// results in the order of calls. It never touches t from a worker.
func runBurst(t *testing.T, e *env, calls []apiCall) []callResult {
	t.Helper()
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = burstWorkers
	tr.MaxConnsPerHost = burstWorkers
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, Timeout: time.Minute}
	results := make([]callResult, len(calls))
	burst := crand.Text()[:8] // request ids unique to this burst
	for i := range results {
		results[i].id = fmt.Sprintf("burst-%s-%d", burst, i)
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for range burstWorkers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				results[i].res, results[i].err = post(client, e.url, results[i].id, calls[i])
			}
		}()
	}
	for i := range calls {
		next <- i
	}
	close(next)
	wg.Wait()
	return results
}

// post sends one GraphQL request and decodes the response envelope.
func post(client *http.Client, url, requestID string, c apiCall) (response, error) {
	body, err := json.Marshal(map[string]any{"query": c.query, "variables": c.vars})
	if err != nil {
		return response{}, err
	}
	req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return response{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set(reqlog.Header, requestID)
	res, err := client.Do(req)
	if err != nil {
		return response{}, err
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		return response{}, err
	}
	var out response
	if err := json.Unmarshal(raw, &out); err != nil {
		return response{}, fmt.Errorf("decode response (status %d): %w: %s", res.StatusCode, err, raw)
	}
	out.Status = res.StatusCode
	return out, nil
}

// placedOrder is a successful placeOrder payload.
type placedOrder struct {
	PlaceOrder struct {
		Order struct {
			ID, Number, Status string
			Lines              []struct {
				Quantity int
				Variant  refJSON
			}
		}
	}
}

// shortVariant is one entry of OUT_OF_STOCK's extensions.variants.
type shortVariant struct {
	VariantID            string
	Requested, Available int
}

// refusal sorts a failed call: nil for an OUT_OF_STOCK whose every entry is
// a variant of the call, short (0 <= available < requested), with the
// units the call asked for; otherwise a description of what went wrong.
func refusal(r callResult, want map[string]int) error {
	if r.err != nil {
		return r.err
	}
	if len(r.res.Errors) != 1 {
		return fmt.Errorf("got %d errors %+v, want one OUT_OF_STOCK", len(r.res.Errors), r.res.Errors)
	}
	e := r.res.Errors[0]
	if code, _ := e.Extensions["code"].(string); code != "OUT_OF_STOCK" {
		return fmt.Errorf("got %s: %s, want OUT_OF_STOCK", code, e.Message)
	}
	var shorts []shortVariant
	raw, _ := json.Marshal(e.Extensions["variants"])
	if err := json.Unmarshal(raw, &shorts); err != nil || len(shorts) == 0 {
		return fmt.Errorf("got extensions.variants %s, want the short variants", raw)
	}
	for _, s := range shorts {
		requested, ok := want[s.VariantID]
		if !ok || s.Requested != requested || s.Available < 0 || s.Available >= s.Requested {
			return fmt.Errorf("got short variant %+v for a call wanting %v, want a variant of the call, its units and 0 <= available < requested", s, want)
		}
	}
	return nil
}

// reportUnexpected fails t listing the unexpected answers and the server's
// internal errors, once the burst's requests have all been logged.
func reportUnexpected(t *testing.T, e *env, results []callResult, unexpected []string) {
	t.Helper()
	if len(unexpected) == 0 {
		return
	}
	ids := make([]string, len(results))
	for i, r := range results {
		ids[i] = r.id
	}
	e.waitForAccessLines(t, ids...) // each request logs its access line last
	var internal []string
	for _, line := range strings.Split(e.logs.String(), "\n") {
		if strings.Contains(line, `"internal error"`) || strings.Contains(line, "panic") {
			internal = append(internal, line)
		}
	}
	t.Errorf("got %d unexpected answers, want only successes and OUT_OF_STOCK:\n%s\nserver errors:\n%s",
		len(unexpected), strings.Join(unexpected[:min(len(unexpected), 20)], "\n"), strings.Join(internal[:min(len(internal), 20)], "\n"))
}

// checkConservation asserts, for each variant, that its stock is not
// negative, that stock plus the units of its lines in orders that are not
// cancelled equals its initial stock, and that its ledger of stock
// movements adds up to the change.
func checkConservation(t *testing.T, c *ent.Client, initial map[*ent.Variant]int) {
	t.Helper()
	ctx := context.Background()
	for v, start := range initial {
		stock := c.Variant.GetX(ctx, v.ID).Stock
		lines := c.OrderLine.Query().Where(orderline.VariantID(v.ID), orderline.HasOrderWith(order.StatusNEQ(order.StatusCANCELLED))).AllX(ctx)
		reserved := 0
		for _, l := range lines {
			reserved += l.Quantity
		}
		if stock < 0 || stock+reserved != start {
			t.Errorf("variant %s: got stock %d + %d units in live orders = %d, want %d and stock >= 0", v.Sku, stock, reserved, stock+reserved, start)
		}
		moves := c.StockMovement.Query().Where(stockmovement.VariantID(v.ID)).AllX(ctx)
		delta := 0
		for _, m := range moves {
			delta += m.Delta
		}
		if delta != stock-start {
			t.Errorf("variant %s: got stock movements adding up to %+d, want %+d", v.Sku, delta, stock-start)
		}
	}
}

// checkNumbersUnique asserts every order number in the database is unique.
func checkNumbersUnique(t *testing.T, c *ent.Client) {
	t.Helper()
	all := c.Order.Query().AllX(context.Background())
	seen := map[string]bool{}
	for _, o := range all {
		if seen[o.Number] {
			t.Errorf("got order number %s twice, want each once", o.Number)
		}
		seen[o.Number] = true
	}
}

// stockWatch samples a variant's stock while a burst runs.
type stockWatch struct {
	stop    chan struct{}
	done    chan struct{}
	samples []int
	err     error
}

func watchStock(c *ent.Client, v *ent.Variant) *stockWatch {
	w := &stockWatch{stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(w.done)
		for {
			select {
			case <-w.stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			got, err := c.Variant.Get(context.Background(), v.ID)
			if err != nil {
				w.err = err
				return
			}
			w.samples = append(w.samples, got.Stock)
		}
	}()
	return w
}

// finish stops sampling and returns the samples.
func (w *stockWatch) finish() ([]int, error) {
	close(w.stop)
	<-w.done
	return w.samples, w.err
}

func TestCheckoutNeverOversells(t *testing.T) {
	const (
		customers = 300
		stock     = 25
	)
	eachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		db := e.store.Client
		_, tokens := buyers(t, e, "buyer", customers)
		vs := checkoutStock(t, db, "last-units", stock, stock)
		for _, tc := range []struct {
			name string
			v    *ent.Variant
			qty  func(i int) int
		}{
			{"OneUnitEach", vs[0], func(int) int { return 1 }},
			{"OneToThreeUnits", vs[1], func(i int) int { return 1 + i%3 }},
		} {
			t.Run(tc.name, func(t *testing.T) {
				vid := gid("Variant", tc.v.ID)
				calls := make([]apiCall, customers)
				for i := range calls {
					calls[i] = apiCall{token: tokens[i], query: checkoutDoc, vars: inputVars(map[string]any{
						"lines": []any{map[string]any{"variantId": vid, "quantity": tc.qty(i)}},
					})}
				}
				watch := watchStock(db, tc.v)
				start := time.Now()
				results := runBurst(t, e, calls)
				elapsed := time.Since(start)
				samples, err := watch.finish()
				t.Logf("%s: %d concurrent placeOrder calls (%d workers) for %d units took %v; %d stock samples meanwhile", dialect, customers, burstWorkers, stock, elapsed, len(samples))

				sold, placed := 0, 0
				numbers := map[string]bool{}
				var unexpected []string
				for i, r := range results {
					if r.err == nil && len(r.res.Errors) == 0 {
						var out placedOrder
						if err := json.Unmarshal(r.res.Data, &out); err != nil {
							unexpected = append(unexpected, fmt.Sprintf("call %d: decode %s: %v", i, r.res.Data, err))
							continue
						}
						o := out.PlaceOrder.Order
						if o.Status != "PENDING" || len(o.Lines) != 1 || o.Lines[0].Quantity != tc.qty(i) || o.Lines[0].Variant.ID != vid {
							unexpected = append(unexpected, fmt.Sprintf("call %d: got order %+v, want PENDING with %d units", i, o, tc.qty(i)))
						}
						if numbers[o.Number] {
							t.Errorf("got order number %s twice, want each once", o.Number)
						}
						numbers[o.Number] = true
						sold += tc.qty(i)
						placed++
						continue
					}
					if err := refusal(r, map[string]int{vid: tc.qty(i)}); err != nil {
						unexpected = append(unexpected, fmt.Sprintf("call %d: %v", i, err))
					}
				}
				reportUnexpected(t, e, results, unexpected)
				if sold != stock {
					t.Errorf("got %d units sold in %d orders, want exactly %d", sold, placed, stock)
				}
				if got := db.Variant.GetX(context.Background(), tc.v.ID).Stock; got != 0 {
					t.Errorf("got stock %d after the burst, want 0", got)
				}
				// Nothing is cancelled here, so stock only ever goes down.
				if err != nil {
					t.Errorf("sample stock: got error %v, want nil", err)
				}
				for i, s := range samples {
					if s < 0 || s > stock || (i > 0 && s > samples[i-1]) {
						t.Errorf("stock samples %v: got %d at %d, want a non-increasing series within [0, %d]", samples, s, i, stock)
						break
					}
				}
				inDB := db.Order.Query().Where(order.HasLinesWith(orderline.VariantID(tc.v.ID))).CountX(context.Background())
				if inDB != placed {
					t.Errorf("got %d orders in the database, want the %d placed", inDB, placed)
				}
				checkConservation(t, db, map[*ent.Variant]int{tc.v: stock})
				checkNumbersUnique(t, db)
			})
		}
	})
}

// fastDeadlockDetection has PostgreSQL look for deadlocks after 100ms of
// waiting instead of the default second. A deadlock is aborted either way,
// so no outcome changes; a test that provokes many just fails in seconds
// rather than in minutes. Without the privilege to change the setting the
// test runs at the default.
func fastDeadlockDetection(t *testing.T, e *env) {
	t.Helper()
	if e.dialect != entdialect.Postgres {
		return
	}
	const alter = `DO $$ BEGIN EXECUTE format('ALTER DATABASE %I SET deadlock_timeout = %L', current_database(), '100ms'); END $$`
	if _, err := e.store.DB.Exec(alter); err != nil {
		t.Logf("keep the default deadlock_timeout: %v", err)
		return
	}
	// Sessions read the setting when they start: drop the idle ones.
	e.store.DB.SetMaxIdleConns(0)
	e.store.DB.SetMaxIdleConns(10)
}

func TestCheckoutCancelAndPlaceInterleave(t *testing.T) {
	const (
		early   = 30  // orders placed before the burst, cancelled during it
		late    = 170 // orders placed during the burst
		initial = 60
	)
	eachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		db := e.store.Client
		staff := db.User.Create().SetEmail("staff@example.com").SetName("Staff").SetRole(user.RoleSTAFF).SaveX(context.Background())
		staffToken := e.as(t, staff).token
		users, tokens := buyers(t, e, "buyer", early+late)
		// Two products, so orders and cancellations lock rows of both.
		vs := append(checkoutStock(t, db, "mixed-a", initial, initial), checkoutStock(t, db, "mixed-b", initial)...)
		rng := rand.New(rand.NewPCG(1, 2))
		// randomLines picks 1-3 distinct variants in random order, 1-2 units each.
		randomLines := func() (map[string]any, map[string]int) {
			picked := rng.Perm(len(vs))[:1+rng.IntN(len(vs))]
			want := map[string]int{}
			lines := make([]any, len(picked))
			for i, p := range picked {
				id, qty := gid("Variant", vs[p].ID), 1+rng.IntN(2)
				lines[i] = map[string]any{"variantId": id, "quantity": qty}
				want[id] = qty
			}
			return inputVars(map[string]any{"lines": lines}), want
		}

		var calls []apiCall
		var wants []map[string]int // per call; nil for a cancel
		for i := range early {
			in, _ := randomLines()
			var out placedOrder
			e.as(t, users[i]).mustQuery(t, checkoutDoc, in, &out)
			token := tokens[i]
			if i%2 == 1 {
				token = staffToken
			}
			calls = append(calls, apiCall{token: token, query: cancelDoc, vars: inputVars(map[string]any{"id": out.PlaceOrder.Order.ID})})
			wants = append(wants, nil)
		}
		for i := range late {
			in, want := randomLines()
			calls = append(calls, apiCall{token: tokens[early+i], query: checkoutDoc, vars: in})
			wants = append(wants, want)
		}
		fastDeadlockDetection(t, e)
		perm := rng.Perm(len(calls))
		shuffled, shuffledWants := make([]apiCall, len(calls)), make([]map[string]int, len(calls))
		for i, j := range perm {
			shuffled[i], shuffledWants[i] = calls[j], wants[j]
		}

		start := time.Now()
		results := runBurst(t, e, shuffled)
		t.Logf("%s: %d cancels and %d orders interleaved in %v", dialect, early, late, time.Since(start))

		var unexpected []string
		placed := 0
		for i, r := range results {
			switch {
			case shuffledWants[i] == nil: // a cancel: each order is cancelled once, so it must succeed
				var out struct {
					CancelOrder struct{ Order struct{ Status string } }
				}
				if r.err != nil || len(r.res.Errors) > 0 || json.Unmarshal(r.res.Data, &out) != nil || out.CancelOrder.Order.Status != "CANCELLED" {
					unexpected = append(unexpected, fmt.Sprintf("cancel %d: got errors %+v, data %s (%v), want CANCELLED", i, r.res.Errors, r.res.Data, r.err))
				}
			case r.err == nil && len(r.res.Errors) == 0:
				placed++
			default:
				if err := refusal(r, shuffledWants[i]); err != nil {
					unexpected = append(unexpected, fmt.Sprintf("order %d: %v", i, err))
				}
			}
		}
		reportUnexpected(t, e, results, unexpected)
		if placed == 0 || placed == late {
			t.Logf("%d of %d orders placed: the burst did not compete for stock", placed, late)
		}
		want := map[*ent.Variant]int{}
		for _, v := range vs {
			want[v] = initial
		}
		checkConservation(t, db, want)
		checkNumbersUnique(t, db)
		if n := db.Order.Query().Where(order.StatusEQ(order.StatusCANCELLED)).CountX(context.Background()); n != early {
			t.Errorf("got %d cancelled orders, want %d", n, early)
		}
	})
}

func TestCheckoutConcurrentCancelsReturnStockOnce(t *testing.T) {
	const (
		count   = 20
		initial = 100
	)
	eachDialect(t, func(t *testing.T, dialect string) {
		e := newEnv(t, dialect)
		db := e.store.Client
		ctx := context.Background()
		staff := db.User.Create().SetEmail("staff@example.com").SetName("Staff").SetRole(user.RoleSTAFF).SaveX(ctx)
		staffToken := e.as(t, staff).token
		users, tokens := buyers(t, e, "buyer", count)
		vs := checkoutStock(t, db, "twice", initial, initial)
		ids := make([]string, count)
		var calls []apiCall
		for i := range count {
			var out placedOrder
			e.as(t, users[i]).mustQuery(t, checkoutDoc, orderInput(lineIn{vs[0], 2}, lineIn{vs[1], 1}), &out)
			ids[i] = out.PlaceOrder.Order.ID
			// The customer and staff cancel the same order at once.
			in := inputVars(map[string]any{"id": ids[i]})
			calls = append(calls, apiCall{token: tokens[i], query: cancelDoc, vars: in}, apiCall{token: staffToken, query: cancelDoc, vars: in})
		}
		results := runBurst(t, e, calls)
		var unexpected []string
		for i := range count {
			var codes []string
			for _, r := range results[2*i : 2*i+2] {
				switch {
				case r.err != nil:
					codes = append(codes, r.err.Error())
				case len(r.res.Errors) == 0:
					codes = append(codes, "OK")
				default:
					codes = append(codes, fmt.Sprintf("%v %s", r.res.Errors[0].Extensions["code"], r.res.Errors[0].Message))
				}
			}
			slices.Sort(codes)
			if len(codes) != 2 || !strings.HasPrefix(codes[0], "CONFLICT") || codes[1] != "OK" {
				unexpected = append(unexpected, fmt.Sprintf("order %s: got %q, want one OK and one CONFLICT", readable(ids[i : i+1])[0], codes))
			}
		}
		reportUnexpected(t, e, results, unexpected)
		for i, v := range vs {
			if got := db.Variant.GetX(ctx, v.ID).Stock; got != initial {
				t.Errorf("variant %d: got stock %d, want %d: each order's stock returned exactly once", i, got, initial)
			}
		}
		for _, id := range ids {
			n, err := relay.IDOf("id", "Order", id)
			if err != nil {
				t.Fatalf("got error %v, want nil", err)
			}
			if got := len(movementsOf(t, db, n)); got != 4 {
				t.Errorf("order %d: got %d stock movements, want 4 (two lines taken, two returned)", n, got)
			}
		}
		checkConservation(t, db, map[*ent.Variant]int{vs[0]: initial, vs[1]: initial})
	})
}
