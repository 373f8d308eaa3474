package main

import (
	"fmt"
	"strconv"
	"strings"
)

// scenario is one query the benchmark sends over and over.
type scenario struct {
	Name  string // as given to -scenarios
	Alias string // the brief's letter, also accepted by -scenarios
	Title string // for the table
	Staff bool   // sent with the staff token
	// First is the product page size of a nested scenario, which the plain
	// handler also serves; 0 for scenarios it does not.
	First int
	query func(slug string) string
}

// nestedQuery is the storefront's product grid: products with category,
// variants and the first reviews with their authors; five batched
// statements on the server.
func nestedQuery(first int) string {
	return `{ products(first: ` + strconv.Itoa(first) + `, orderBy: {field: CREATED_AT, direction: ASC}) { edges { node { id title category { id name } variants { id sku price { amount } inStock } reviews(first: 3, orderBy: {field: CREATED_AT, direction: ASC}) { edges { node { id rating body author { id name } } } } } } } }`
}

// scenarios are the four the benchmark knows, in table order.
func scenarios() []scenario {
	return []scenario{
		{Name: "nested", Alias: "a", Title: "a nested 50", First: 50,
			query: func(string) string { return nestedQuery(50) }},
		{Name: "lookup", Alias: "b", Title: "b lookup",
			query: func(slug string) string {
				return `{ product(slug: ` + strconv.Quote(slug) + `) { id title priceRange { min { amount } } } }`
			}},
		{Name: "nested100", Alias: "c", Title: "c nested 100", First: 100,
			query: func(string) string { return nestedQuery(100) }},
		{Name: "orders", Alias: "d", Title: "d staff orders", Staff: true,
			query: func(string) string {
				return `{ orders(first: 50, orderBy: {field: CREATED_AT, direction: DESC}) { edges { node { id number status createdAt customer { id name } lines { id quantity unitPrice { amount } subtotal { amount } variant { id sku } product { id title } } total { amount } } } } }`
			}},
	}
}

// selectScenarios resolves -scenarios ("all", names or letters).
func selectScenarios(list string) ([]scenario, error) {
	all := scenarios()
	if list == "" || list == "all" {
		return all, nil
	}
	want := map[string]bool{}
	for _, s := range strings.Split(list, ",") {
		want[strings.TrimSpace(s)] = true
	}
	var out []scenario
	for _, s := range all {
		if want[s.Name] || want[s.Alias] {
			out = append(out, s)
			delete(want, s.Name)
			delete(want, s.Alias)
		}
	}
	for s := range want {
		return nil, fmt.Errorf("-scenarios: unknown scenario %q (want nested, lookup, nested100, orders or a-d)", s)
	}
	return out, nil
}

// parseInts parses a comma-separated list of positive integers.
func parseInts(flagName, list string) ([]int, error) {
	var out []int
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return nil, fmt.Errorf("%s: %q is not a positive integer", flagName, s)
		}
		out = append(out, n)
	}
	return out, nil
}

func itoa(n int) string { return strconv.Itoa(n) }
