package graph_test

import (
	"strings"
	"sync"
	"testing"

	"github.com/shopgraph/shopgraph/ent/order"
)

// TestPlaceOrderIdempotencyKeyOverHTTP: five identical placeOrder requests
// with one idempotencyKey sent at once over HTTP all answer with the same
// order, and stock moves once; the key with other lines is CONFLICT on
// input.idempotencyKey; a malformed key is BAD_USER_INPUT.
func TestPlaceOrderIdempotencyKeyOverHTTP(t *testing.T) {
	eachDialect(t, func(t *testing.T, dialect string) {
		e, s := shopEnv(t, dialect)
		alice := e.as(t, s.alice)
		in := orderInput(lineIn{s.teeS, 2})
		in["input"].(map[string]any)["idempotencyKey"] = "0c7d9a54-5b4e-4a8e-9d1c-7f0b6a2e1d33"

		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			numbers = map[string]int{}
			failed  []string
		)
		for range 5 {
			wg.Go(func() {
				res, err := alice.post(placeOrderDoc, in, "")
				mu.Lock()
				defer mu.Unlock()
				if err != nil || len(res.Errors) > 0 {
					failed = append(failed, jsonText(res.Errors)+errString(err))
					return
				}
				var out struct{ PlaceOrder struct{ Order orderJSON } }
				decodeJSON(t, res.Data, &out)
				numbers[out.PlaceOrder.Order.Number]++
			})
		}
		wg.Wait()
		if len(failed) > 0 || len(numbers) != 1 {
			t.Fatalf("five retries: got orders %v, failures %v, want one order for all", numbers, failed)
		}
		var number string
		for n := range numbers {
			number = n
		}
		id := e.store.Client.Order.Query().Where(order.Number(number)).OnlyIDX(t.Context())
		if ms := movementsOf(t, e.store.Client, id); len(ms) != 1 || ms[0].Delta != -2 {
			t.Fatalf("stock movements of %s: got %d, want one of -2", number, len(ms))
		}

		other := orderInput(lineIn{s.teeS, 1})
		other["input"].(map[string]any)["idempotencyKey"] = in["input"].(map[string]any)["idempotencyKey"]
		res := alice.query(t, placeOrderDoc, other)
		if res.code(t) != "CONFLICT" || !strings.Contains(jsonText(res.Errors), "input.idempotencyKey") {
			t.Fatalf("same key, other lines: got %s, want CONFLICT on input.idempotencyKey", jsonText(res.Errors))
		}
		bad := orderInput(lineIn{s.teeS, 1})
		bad["input"].(map[string]any)["idempotencyKey"] = "key\twith a tab"
		if res := alice.query(t, placeOrderDoc, bad); res.code(t) != "BAD_USER_INPUT" {
			t.Fatalf("malformed key: got %s, want BAD_USER_INPUT", jsonText(res.Errors))
		}
	})
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
