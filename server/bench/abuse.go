package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// The abuse experiment (-abusers N): what N abusive clients do to normal
// users. The server runs with its production defaults for demand control
// (nothing raised, unlike the scenario runs) and TRUSTED_PROXIES set to
// loopback, so every client is told apart by the X-Forwarded-For the
// benchmark sends, as behind a load balancer: normal users are spread over
// normalUsers addresses, each abuser has one of its own. The normal load is
// the lookup scenario as an open loop at -rate; it runs once alone and once
// with the abusers (each a closed loop of one connection cycling through
// abuseKinds), and the two are compared.

// normalUsers is how many client addresses the normal load is spread
// over: each sends a few requests a minute, well inside every limit.
const normalUsers = 5000

// abuseKind is one kind of abusive request, each from issue 10's list.
type abuseKind struct {
	Name  string
	fresh bool // each request must be new (else a few are made up front)
	body  func(seq int) []byte
}

func abuseKinds() []abuseKind {
	gql := func(query string) []byte {
		b, _ := jsonMarshal(graphqlRequest{Query: query})
		return b
	}
	return []abuseKind{
		// Validation that amplifies: every pair of fields conflicts.
		{"conflicting fields", false, func(seq int) []byte {
			var q strings.Builder
			q.WriteString("{")
			for i := range 499 {
				fmt.Fprintf(&q, " products(first: %d) { totalCount }", seq%7+i+1)
			}
			q.WriteString(" }")
			return gql(q.String())
		}},
		{"unknown directives", false, func(seq int) []byte {
			var q strings.Builder
			fmt.Fprintf(&q, "{ products(first: %d) ", seq%50+1)
			for i := range 4900 {
				fmt.Fprintf(&q, "@d%d ", i)
			}
			q.WriteString("{ totalCount } }")
			return gql(q.String())
		}},
		// Database work the cost model must price: 50 full-text counts.
		{"aliased search counts", false, func(seq int) []byte {
			var q strings.Builder
			q.WriteString("{")
			for i := range 50 {
				fmt.Fprintf(&q, " c%d: products(filter: {search: \"w%d-%d\"}) { totalCount }", i, seq, i)
			}
			q.WriteString(" }")
			return gql(q.String())
		}},
		// Valid queries that carry huge literals, each new (no cache hit).
		{"900 KB literal", false, func(seq int) []byte {
			return gql(`{ products(first: 1, filter: {search: "` + strconv.Itoa(seq) + strings.Repeat("x", 900<<10) + `"}) { totalCount } }`)
		}},
		// Password hashing by the alias.
		{"50 aliased signUps", false, func(seq int) []byte {
			var q strings.Builder
			q.WriteString("mutation {")
			for i := range 50 {
				fmt.Fprintf(&q, ` s%d: signUp(input: {email: "abuse-%s-%d@example.com", password: "correct horse battery %d", name: "A"}) { token }`,
					i, randomHex(6), i, seq)
			}
			q.WriteString(" }")
			return gql(q.String())
		}},
		// Persisted-query registrations, each a new document.
		{"APQ registrations", true, func(seq int) []byte {
			query := fmt.Sprintf("{ products(first: 1) { totalCount } } # %s", randomHex(16))
			b, _ := jsonMarshal(map[string]any{"query": query, "extensions": map[string]any{
				"persistedQuery": map[string]any{"version": 1, "sha256Hash": sha256Hex(query)}}})
			return b
		}},
	}
}

// abuseStats is what the abusers saw, per kind.
type abuseStats struct {
	Kind         string         `json:"kind"`
	Requests     int            `json:"requests"`
	Statuses     map[string]int `json:"statuses"`
	MaxBodyBytes int            `json:"max_body_bytes"`
	MaxMS        float64        `json:"max_ms"`
}

// abuseResult compares the normal load alone and under abuse.
type abuseResult struct {
	Abusers      int          `json:"abusers"`
	Rate         int          `json:"rate"`
	Alone        runResult    `json:"alone"`
	Abused       runResult    `json:"abused"`
	AloneP95MS   float64      `json:"alone_p95_ms"`
	AbusedP95MS  float64      `json:"abused_p95_ms"`
	RSSAfterMB   float64      `json:"rss_after_flood_mb"`
	AbuseCPUMS   float64      `json:"abuse_server_cpu_ms_per_request"`
	Kinds        []abuseStats `json:"kinds"`
	AbusiveTotal int          `json:"abusive_requests"`
}

// abuseEnv is the server's environment for the experiment: production
// defaults for every limit, clients told apart by X-Forwarded-For.
func (b *bench) abuseEnv(port int) []string {
	env := []string{
		"APP_ENV=production",
		"ADDR=127.0.0.1:" + strconv.Itoa(port),
		"DATABASE_URL=" + b.cl.appURL(),
		"JWT_SECRET=" + b.secret,
		"TRUSTED_PROXIES=127.0.0.1/32",
		"LOG_FORMAT=json",
		"DATA_DIR=" + os.TempDir(),
	}
	return append(env, b.o.serverEnv...)
}

// abuse runs the experiment on one fresh server.
func (b *bench) abuse(ctx context.Context) (abuseResult, error) {
	res := abuseResult{Abusers: b.o.abusers, Rate: b.o.rate}
	port, err := freePort()
	if err != nil {
		return res, err
	}
	p, err := startProcess(ctx, "server", b.serverBin, nil, b.abuseEnv(port), filepath.Join(b.work, "abuse-server.log"), "/readyz", port)
	if err != nil {
		return res, err
	}
	defer p.stop()
	sc := scenarios()[1] // lookup
	tgt := b.target(p.base, sc, targetServer)
	ref, err := b.fetch(ctx, p.base, sc, targetServer)
	if err != nil {
		return res, err
	}
	normal := load{Rate: b.o.rate, Conns: 16}
	normalRun := func(d time.Duration) (runResult, attackOutcome, error) {
		r := runResult{Scenario: sc.Name, Title: sc.Title, Target: targetServer, Rate: normal.Rate}
		if err := resetPeakRSS(p.pid()); err != nil {
			return r, attackOutcome{}, err
		}
		before, _, err := b.cpu(p.pid())
		if err != nil {
			return r, attackOutcome{}, err
		}
		out := attackWith(spread(tgt, normalUsers), normal, d, ref)
		after, _, err := b.cpu(p.pid())
		if err != nil {
			return r, out, err
		}
		rssKB, _ := peakRSSKB(p.pid())
		r.Requests, r.Seconds, r.Errors, r.ErrorSample = out.Requests, out.Elapsed.Seconds(), out.errors(), out.Samples
		toMS := func(d time.Duration) float64 { return float64(d) / 1e6 }
		r.MeanMS, r.P50MS, r.P90MS, r.P99MS, r.MaxMS = toMS(out.Latency.Mean), toMS(out.Latency.P50), toMS(out.Latency.P90), toMS(out.Latency.P99), toMS(out.Latency.Max)
		r.PeakRSSMB = float64(rssKB) / 1024
		if n := float64(out.Requests); n > 0 {
			r.ReqPerSec = n / max(out.Elapsed.Seconds(), 1e-9)
			r.ServerCPUMSPerReq = float64(after.cpuTicks()-before.cpuTicks()) * 1000 / float64(b.ticks) / n
		}
		return r, out, nil
	}

	if b.o.warmup > 0 {
		attackWith(spread(tgt, normalUsers), normal, b.o.warmup, ref)
	}
	var alone attackOutcome
	if res.Alone, alone, err = normalRun(b.o.duration); err != nil {
		return res, err
	}
	res.AloneP95MS = float64(alone.Latency.P95) / 1e6

	kinds := abuseKinds()
	stats := make([]abuseStats, len(kinds))
	// Bodies are made before the flood, a few variants of each kind:
	// making a 900 KB body per request would spend the abusers' CPU, on
	// the machine the server shares, instead of the server's. Persisted-
	// query registrations are small and must each be new: made as sent.
	const variants = 16
	bodies := make([][][]byte, len(kinds))
	for i, k := range kinds {
		stats[i] = abuseStats{Kind: k.Name, Statuses: map[string]int{}}
		if k.fresh {
			continue
		}
		for v := range variants {
			bodies[i] = append(bodies[i], k.body(v))
		}
	}
	body := func(k, seq int) []byte {
		if kinds[k].fresh {
			return kinds[k].body(seq)
		}
		return bodies[k][seq%variants]
	}
	var mu sync.Mutex
	actx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var seq atomic.Int64
	for a := range b.o.abusers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			client := &http.Client{Timeout: 60 * time.Second, Transport: &http.Transport{DisableCompression: true}}
			addr := fmt.Sprintf("198.51.100.%d", a+1)
			for i := a; actx.Err() == nil; i++ {
				k := i % len(kinds)
				status, size, took := sendAbuse(actx, client, p.base+"/graphql", addr, body(k, int(seq.Add(1))))
				if actx.Err() != nil {
					return
				}
				mu.Lock()
				s := &stats[k]
				s.Requests++
				s.Statuses[status]++
				s.MaxBodyBytes = max(s.MaxBodyBytes, size)
				s.MaxMS = max(s.MaxMS, float64(took)/1e6)
				mu.Unlock()
			}
		}()
	}
	before, _, err := b.cpu(p.pid())
	if err != nil {
		stop()
		return res, err
	}
	var abused attackOutcome
	res.Abused, abused, err = normalRun(b.o.duration)
	after, _, cerr := b.cpu(p.pid())
	stop()
	wg.Wait()
	if err != nil {
		return res, err
	}
	if cerr != nil {
		return res, cerr
	}
	res.AbusedP95MS = float64(abused.Latency.P95) / 1e6
	for _, s := range stats {
		res.AbusiveTotal += s.Requests
	}
	res.Kinds = stats
	if res.AbusiveTotal > 0 {
		// The server's CPU over the abused run less what the normal
		// requests cost alone: an estimate of what each abusive one cost.
		total := float64(after.cpuTicks()-before.cpuTicks()) * 1000 / float64(b.ticks)
		normalShare := res.Alone.ServerCPUMSPerReq * float64(res.Abused.Requests)
		res.AbuseCPUMS = max(total-normalShare, 0) / float64(res.AbusiveTotal)
	}
	time.Sleep(5 * time.Second) // let the collector return what the flood took
	if kb, err := currentRSSKB(p.pid()); err == nil {
		res.RSSAfterMB = float64(kb) / 1024
	}
	return res, nil
}

// sendAbuse posts one abusive body as addr and reads the whole answer.
func sendAbuse(ctx context.Context, client *http.Client, url, addr string, body []byte) (status string, size int, took time.Duration) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return "error", 0, 0
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Forwarded-For", addr)
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		return "error", 0, time.Since(start)
	}
	defer res.Body.Close()
	n, _ := io.Copy(io.Discard, res.Body)
	return strconv.Itoa(res.StatusCode), int(n), time.Since(start)
}

// spread sends tgt as n different clients, in turn.
func spread(tgt vegeta.Target, n int) vegeta.Targeter {
	var i atomic.Uint64
	return func(t *vegeta.Target) error {
		k := i.Add(1) % uint64(n)
		*t = tgt
		t.Header = tgt.Header.Clone()
		t.Header.Set("X-Forwarded-For", fmt.Sprintf("10.%d.%d.%d", k>>16&255, k>>8&255, k&255))
		return nil
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// writeAbuse prints the experiment's comparison.
func writeAbuse(w io.Writer, r abuseResult) {
	fmt.Fprintf(w, "\nAbuse: normal users (lookup, open loop %d/s over %d addresses) alone and with %d abusive clients; production limits.\n\n", r.Rate, normalUsers, r.Abusers)
	fmt.Fprintln(w, "| normal load | req/s | p50 ms | p95 ms | p99 ms | max ms | errors | server peak RSS MB |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|---:|")
	for _, row := range []struct {
		name string
		r    runResult
		p95  float64
	}{{"alone", r.Alone, r.AloneP95MS}, {fmt.Sprintf("with %d abusers", r.Abusers), r.Abused, r.AbusedP95MS}} {
		fmt.Fprintf(w, "| %s | %.1f | %.2f | %.2f | %.2f | %.2f | %d | %.1f |\n", row.name, row.r.ReqPerSec, row.r.P50MS, row.p95, row.r.P99MS, row.r.MaxMS, row.r.Errors, row.r.PeakRSSMB)
	}
	fmt.Fprintln(w, "\n| abusive request | sent | statuses | largest response bytes | slowest ms |")
	fmt.Fprintln(w, "|---|---:|---|---:|---:|")
	for _, k := range r.Kinds {
		var st []string
		for _, code := range slices.Sorted(maps.Keys(k.Statuses)) {
			st = append(st, fmt.Sprintf("%s×%d", code, k.Statuses[code]))
		}
		fmt.Fprintf(w, "| %s | %d | %s | %d | %.1f |\n", k.Kind, k.Requests, strings.Join(st, " "), k.MaxBodyBytes, k.MaxMS)
	}
	fmt.Fprintf(w, "\nServer CPU per abusive request (abused run less the normal requests' own cost): %.2f ms. RSS 5 s after the flood: %.1f MB.\n", r.AbuseCPUMS, r.RSSAfterMB)
}
