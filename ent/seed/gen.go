package seed

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/shopgraph/shopgraph/ent/order"
	"github.com/shopgraph/shopgraph/ent/product"
)

// generator draws every random choice of a run from one fixed-seed source,
// so the same calls in the same order give the same data.
type generator struct {
	rng   *rand.Rand
	words *vocabulary
}

func newGenerator() *generator {
	return &generator{rng: rand.New(rand.NewPCG(1, 2)), words: newVocabulary()}
}

// baseTime is the fixed clock every generated timestamp is an offset from;
// time.Now would make two runs differ.
func baseTime() time.Time { return time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC) }

// at is baseTime plus d, truncated to microseconds: PostgreSQL keeps no
// more, and a value it would round must not differ from SQLite's copy.
func at(d time.Duration) time.Time { return baseTime().Add(d).Truncate(time.Microsecond) }

const day = 24 * time.Hour

// spread places item i of n evenly across span, so creation times follow
// insertion order as they would in a live store.
func spread(i, n int, span time.Duration) time.Duration {
	return time.Duration(int64(span) / int64(max(n, 1)) * int64(i)).Truncate(time.Second)
}

// jitter is a random whole number of seconds in [0, span).
func (g *generator) jitter(span time.Duration) time.Duration {
	return time.Duration(g.rng.Int64N(int64(span/time.Second))) * time.Second
}

func (g *generator) pick(list []string) string { return list[g.rng.IntN(len(list))] }

// distinct returns k different indexes below n (k <= n), in the order drawn.
func (g *generator) distinct(n, k int) []int {
	picked := make([]int, 0, k)
	for len(picked) < k {
		if i := g.rng.IntN(n); !slices.Contains(picked, i) {
			picked = append(picked, i)
		}
	}
	return picked
}

// weighted returns an index of weights, each chosen in proportion to its
// weight.
func (g *generator) weighted(weights []int) int {
	total := 0
	for _, w := range weights {
		total += w
	}
	n := g.rng.IntN(total)
	for i, w := range weights {
		if n < w {
			return i
		}
		n -= w
	}
	return len(weights) - 1
}

// leaf is a category products are filed in, with the words their titles
// are made of.
type leaf struct {
	id        int
	dept      *department
	qualities []string
	nouns     []string
}

func (g *generator) title(l *leaf) string {
	return g.pick(l.qualities) + " " + g.pick(l.nouns)
}

// description reads like a shop's copy: an opening, two selling points and
// a promise.
func (g *generator) description(title string, d *department) string {
	f := g.distinct(len(d.features), 2)
	return fmt.Sprintf("Meet the %s. %s %s %s", title,
		d.features[f[0]], d.features[f[1]], g.pick(g.words.closings))
}

// scaleStatus makes most products live, with some drafts and retired ones.
func (g *generator) scaleStatus() product.Status {
	return []product.Status{product.StatusACTIVE, product.StatusDRAFT, product.StatusARCHIVED}[g.weighted([]int{85, 10, 5})]
}

// basePrice is a price ending in 99 cents within the department's range.
func (g *generator) basePrice(d *department) int64 {
	lo, hi := (d.minPrice+1)/100, (d.maxPrice+1)/100
	return (lo+g.rng.Int64N(hi-lo+1))*100 - 1
}

// variantCount is 1 to 7, weighted so the mean is 4.3: a million variants
// for 250,000 products with room to spare.
func (g *generator) variantCount() int {
	return 1 + g.weighted([]int{5, 10, 15, 25, 20, 15, 10})
}

// variant is a generated variant before its product has an id.
type variant struct {
	title       string
	price, cost int64
	stock       int
	index       int // 1-based, the SKU's suffix
}

// variants draws n distinct option combinations of d, priced from base.
// A sold-out product's variants all have no stock; otherwise some variants
// are out of stock.
func (g *generator) variants(d *department, n int, base int64, soldOut bool) []variant {
	combos := 1
	for _, axis := range d.axes {
		combos *= len(axis)
	}
	picked := g.distinct(combos, min(n, combos))
	slices.Sort(picked) // list sizes in order, as a shop would
	step := max(base/1000*100, 100)
	out := make([]variant, len(picked))
	for i, c := range picked {
		// c is a number whose digits, last axis least significant, pick
		// one value of each axis; size ends as the first axis's, which
		// sets the price.
		names, size := make([]string, len(d.axes)), 0
		for a := len(d.axes) - 1; a >= 0; a-- {
			size = c % len(d.axes[a])
			names[a] = d.axes[a][size]
			c /= len(d.axes[a])
		}
		price := min(base+int64(size)*step, d.maxPrice)
		out[i] = variant{
			title: strings.Join(names, " / "),
			price: price,
			cost:  price * int64(50+g.rng.IntN(11)) / 100,
			stock: g.stock(soldOut),
			index: i + 1,
		}
	}
	return out
}

func (g *generator) stock(soldOut bool) int {
	if soldOut || g.rng.IntN(100) < 15 {
		return 0
	}
	return 1 + g.rng.IntN(50)
}

// sku is unique because the product id is: "SG-000042-3".
func sku(productID, index int) string { return fmt.Sprintf("SG-%06d-%d", productID, index) }

// rating leans positive, as shop reviews do.
func (g *generator) rating() int { return 1 + g.weighted([]int{5, 7, 13, 30, 45}) }

func (g *generator) reviewText(rating int) (title, body string) {
	return g.pick(g.words.reviewTitles[rating-1]), g.pick(g.words.reviewBodies[rating-1])
}

func (g *generator) orderStatus() order.Status {
	return []order.Status{order.StatusPENDING, order.StatusPAID, order.StatusSHIPPED, order.StatusCANCELLED}[g.weighted([]int{15, 25, 50, 10})]
}

func orderNumber(n int) string { return fmt.Sprintf("SG-%06d", n) }

// person draws a name and its lower-case address; suffix, if not empty,
// makes the address unique among people with the same name.
func (g *generator) person(suffix string) (name, email string) {
	first, last := g.pick(g.words.firstNames), g.pick(g.words.lastNames)
	local := strings.ToLower(first + "." + last)
	if suffix != "" {
		local += "." + suffix
	}
	return first + " " + last, local + "@example.com"
}

// slugify lower-cases s and joins its words with hyphens
// ("Chef's Knife" -> "chefs-knife").
func slugify(s string) string {
	var b strings.Builder
	hyphen := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z' || r >= '0' && r <= '9':
			if hyphen && b.Len() > 0 {
				b.WriteByte('-')
			}
			b.WriteRune(r)
			hyphen = false
		case r == '\'':
		default:
			hyphen = true
		}
	}
	return b.String()
}
