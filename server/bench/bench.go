package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Targets: the product, and the floor it is compared with.
const (
	targetServer = "server"
	targetPlain  = "plain"
)

// The demo staff account that scale seeding creates (ent/seed).
const (
	staffEmail   = "staff@shopgraph.dev"
	demoPassword = "demo-mauve-tractor" // seed.DemoPassword; this package may not import ent (server/layering_test.go)
)

// runResult is every figure of one run; the JSON file holds a list of them.
type runResult struct {
	Scenario string `json:"scenario"`
	Title    string `json:"title"`
	Target   string `json:"target"`
	Conns    int    `json:"conns,omitempty"` // closed loop
	Rate     int    `json:"rate,omitempty"`  // open loop, requests/s

	Requests    int      `json:"requests"`
	Seconds     float64  `json:"seconds"`
	ReqPerSec   float64  `json:"req_per_sec"`
	MeanMS      float64  `json:"latency_mean_ms"`
	P50MS       float64  `json:"latency_p50_ms"`
	P90MS       float64  `json:"latency_p90_ms"`
	P99MS       float64  `json:"latency_p99_ms"`
	MaxMS       float64  `json:"latency_max_ms"`
	Errors      int      `json:"errors"`
	HTTPErrors  int      `json:"http_errors"`
	GQLErrors   int      `json:"graphql_errors"`
	BodyDiffers int      `json:"body_differs"`
	ErrorSample []string `json:"error_samples,omitempty"`

	ServerCPUMSPerReq float64 `json:"server_cpu_ms_per_req"`
	PGCPUMSPerReq     float64 `json:"pg_cpu_ms_per_req"`
	PGOtherCPUMS      float64 `json:"pg_other_cpu_ms_total"` // background processes and the monitor, whole run
	PGBackends        int     `json:"pg_backends"`
	PGBackendsExited  int     `json:"pg_backends_exited"`
	PeakRSSMB         float64 `json:"peak_rss_mb"`

	StatementsPerReq float64         `json:"statements_per_req"`
	StatementsMin    int             `json:"statements_min_sequential"`
	StatementsMax    int             `json:"statements_max_sequential"`
	Statements       []statementText `json:"statements,omitempty"`

	LoadStart [3]float64 `json:"loadavg_start"`
	LoadEnd   [3]float64 `json:"loadavg_end"`
	Started   time.Time  `json:"started"`
}

func (r runResult) load() load { return load{Conns: r.Conns, Rate: r.Rate} }

// report is the JSON file.
type report struct {
	Started    time.Time   `json:"started"`
	Source     string      `json:"source"`
	Commit     string      `json:"commit,omitempty"`
	Dirty      bool        `json:"dirty"`
	Scale      int         `json:"scale"`
	Cluster    string      `json:"cluster"`
	GoVersion  string      `json:"go_version"`
	CPUs       int         `json:"cpus"`
	ClockTicks int64       `json:"clock_ticks_per_sec"`
	Duration   string      `json:"duration_per_run"`
	Warmup     string      `json:"warmup_per_run"`
	Gzip       bool        `json:"gzip"`
	ServerEnv  []string    `json:"serverEnv,omitempty"`
	Mismatches []string    `json:"plain_mismatches"`
	Runs       []runResult `json:"runs"`
	// Abuse is the -abusers experiment, if run.
	Abuse *abuseResult `json:"abuse,omitempty"`
	// Fanout is the -subscribers experiment, if run.
	Fanout *fanoutResult `json:"fanout,omitempty"`
}

// bench is one benchmark invocation's shared state.
type bench struct {
	o         options
	log       io.Writer // progress
	work      string    // binary and logs
	serverBin string
	selfBin   string // this binary, for the plain handler
	cl        *cluster
	secret    string
	token     string            // staff bearer token
	slug      string            // product of the lookup scenario
	refs      map[string][]byte // scenario -> the server's response
	ticks     int64
}

func benchmark(ctx context.Context, o options, stdout, log io.Writer) (err error) {
	b := &bench{o: o, log: log, ticks: clockTicks(), refs: map[string][]byte{}}
	if err := os.MkdirAll(o.cacheDir, 0o755); err != nil {
		return err
	}
	if b.work, err = os.MkdirTemp(o.cacheDir, "run-"); err != nil {
		return err
	}
	defer func() {
		if err != nil || o.keep {
			fmt.Fprintf(log, "bench: logs and binary kept in %s\n", b.work)
			return
		}
		os.RemoveAll(b.work)
	}()
	if b.selfBin, err = os.Executable(); err != nil {
		return err
	}
	if b.serverBin, err = buildServer(ctx, o.src, b.work, log); err != nil {
		return err
	}
	if b.cl, err = openCluster(ctx, o, b.serverBin, log); err != nil {
		return err
	}
	defer func() {
		if serr := b.cl.stop(); serr != nil && err == nil {
			err = serr
		}
	}()
	b.secret = randomHex(32)

	rep := report{
		Started: time.Now().UTC(), Source: o.src, Scale: o.scale, Cluster: b.cl.dir,
		GoVersion: runtime.Version(), CPUs: runtime.NumCPU(), ClockTicks: b.ticks,
		Duration: o.duration.String(), Warmup: o.warmup.String(), Gzip: o.gzip, ServerEnv: o.serverEnv,
		Mismatches: []string{},
	}
	rep.Commit, rep.Dirty = gitCommit(o.src)
	if err := b.prepare(ctx); err != nil {
		return err
	}
	for _, sc := range o.scenarios {
		// The plain handler must answer exactly what the server does, or
		// the comparison means nothing: checked once per scenario, loudly.
		if o.plain && sc.First > 0 {
			if msg := b.checkPlain(ctx, sc); msg != "" {
				fmt.Fprintln(log, "bench: MISMATCH:", msg)
				rep.Mismatches = append(rep.Mismatches, msg)
			}
		}
		for _, l := range b.loads() {
			targets := []string{targetServer}
			if o.plain && sc.First > 0 {
				targets = append(targets, targetPlain)
			}
			for _, t := range targets {
				r, err := b.runOne(ctx, sc, t, l)
				if err != nil {
					return fmt.Errorf("%s on %s at %s: %w", sc.Name, t, l, err)
				}
				fmt.Fprintf(log, "bench: %-15s %-6s %-11s %8.1f req/s  p50 %6.2f ms  p99 %7.2f ms  cpu %5.2f+%5.2f ms/req  stmts %.2f  errors %d\n",
					sc.Title, t, l, r.ReqPerSec, r.P50MS, r.P99MS, r.ServerCPUMSPerReq, r.PGCPUMSPerReq, r.StatementsPerReq, r.Errors)
				rep.Runs = append(rep.Runs, r)
			}
		}
	}
	if o.abusers > 0 {
		ab, err := b.abuse(ctx)
		if err != nil {
			return fmt.Errorf("abuse experiment: %w", err)
		}
		rep.Abuse = &ab
	}
	if o.subs > 0 {
		fo, err := b.fanout(ctx, o.subs)
		if err != nil {
			return fmt.Errorf("subscription experiment: %w", err)
		}
		rep.Fanout = &fo
	}
	writeTable(stdout, rep)
	if rep.Abuse != nil {
		writeAbuse(stdout, *rep.Abuse)
	}
	if rep.Fanout != nil {
		writeFanout(stdout, *rep.Fanout)
	}
	if err := writeJSON(o.out, rep); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "\nAll figures: %s\n", o.out)
	if len(rep.Mismatches) > 0 {
		return fmt.Errorf("the plain handler's response differs from the server's for %d scenario(s); see above", len(rep.Mismatches))
	}
	return nil
}

// loads are the runs of each scenario: the closed loops, then the open one.
func (b *bench) loads() []load {
	var out []load
	for _, c := range b.o.conns {
		out = append(out, load{Conns: c})
	}
	if b.o.rate > 0 {
		out = append(out, load{Rate: b.o.rate, Conns: 16})
	}
	return out
}

// prepare starts a server once to sign in as staff, pick the lookup's slug
// and record every scenario's reference response. The token stays valid
// for the servers started later: they share the signing key.
func (b *bench) prepare(ctx context.Context) error {
	p, err := b.startServer(ctx)
	if err != nil {
		return err
	}
	defer p.stop()
	url := p.base + "/graphql"
	if b.token, err = signIn(ctx, url, staffEmail, demoPassword); err != nil {
		return err
	}
	if b.slug, err = pickSlug(ctx, url); err != nil {
		return err
	}
	for _, sc := range b.o.scenarios {
		body, err := b.fetch(ctx, p.base, sc, targetServer)
		if err != nil {
			return fmt.Errorf("scenario %s: %w", sc.Name, err)
		}
		if hasGraphQLError(body) {
			return fmt.Errorf("scenario %s: the server answers with an error: %s", sc.Name, truncate(body, 500))
		}
		b.refs[refKey(sc, targetServer)] = body
	}
	return nil
}

// refKey names a reference response: the server's, or the plain handler's
// once checkPlain has compared it with the server's.
func refKey(sc scenario, target string) string { return sc.Name + "/" + target }

// dataOf is the "data" member of a response, byte for byte. The server
// also sends "extensions" (the cost it charged), which the plain handler,
// having no demand control, does not.
func dataOf(body []byte) []byte {
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if json.Unmarshal(body, &env) != nil {
		return nil
	}
	return env.Data
}

func (b *bench) startServer(ctx context.Context) (*process, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	env := append(serverEnv(b.cl.appURL(), b.secret, port), "TOKEN_TTL=24h")
	env = append(env, b.o.serverEnv...) // last: they override the defaults
	return startProcess(ctx, "server", b.serverBin, nil, env, filepath.Join(b.work, "server.log"), "/readyz", port)
}

func (b *bench) startPlain(ctx context.Context) (*process, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	args := []string{plainCommand, "-addr", fmt.Sprintf("127.0.0.1:%d", port), "-database-url", b.cl.appURL(), "-max-conns", "10"}
	return startProcess(ctx, "plain handler", b.selfBin, args, []string{"PATH=" + os.Getenv("PATH")},
		filepath.Join(b.work, "plain.log"), "/readyz", port)
}

func (b *bench) start(ctx context.Context, target string) (*process, error) {
	if target == targetPlain {
		return b.startPlain(ctx)
	}
	return b.startServer(ctx)
}

// target is the vegeta target of scenario sc at a process's base URL.
func (b *bench) target(base string, sc scenario, target string) vegeta.Target {
	body, _ := jsonMarshal(graphqlRequest{Query: sc.query(b.slug)})
	h := http.Header{"Content-Type": {"application/json"}}
	if !b.o.gzip {
		// Without it Go's transport asks for gzip, and the server's gzip
		// handler would compress every response.
		h.Set("Accept-Encoding", "identity")
	}
	if sc.Staff {
		h.Set("Authorization", "Bearer "+b.token)
	}
	url := base + "/graphql"
	if target == targetPlain {
		url = fmt.Sprintf("%s/graphql?first=%d", base, sc.First)
	}
	return vegeta.Target{Method: http.MethodPost, URL: url, Body: body, Header: h}
}

// fetch sends one request of sc and returns the body.
func (b *bench) fetch(ctx context.Context, base string, sc scenario, target string) ([]byte, error) {
	t := b.target(base, sc, target)
	req, err := t.Request()
	if err != nil {
		return nil, err
	}
	body, err := readOK(http.DefaultClient.Do(req.WithContext(ctx)))
	if err != nil {
		return nil, err
	}
	return body, nil
}

// checkPlain compares the plain handler's answer to the server's.
func (b *bench) checkPlain(ctx context.Context, sc scenario) string {
	p, err := b.startPlain(ctx)
	if err != nil {
		return fmt.Sprintf("%s: plain handler: %v", sc.Name, err)
	}
	defer p.stop()
	got, err := b.fetch(ctx, p.base, sc, targetPlain)
	if err != nil {
		return fmt.Sprintf("%s: plain handler: %v", sc.Name, err)
	}
	b.refs[refKey(sc, targetPlain)] = got
	want := b.refs[refKey(sc, targetServer)]
	got, want = dataOf(got), dataOf(want)
	if len(want) > 0 && bytes.Equal(got, want) {
		return ""
	}
	i := 0
	for i < len(got) && i < len(want) && got[i] == want[i] {
		i++
	}
	from := max(0, i-80)
	return fmt.Sprintf("%s: plain handler's data (%d bytes) differs from the server's (%d bytes) at byte %d:\n  server: %s\n  plain:  %s",
		sc.Name, len(got), len(want), i, excerpt(want, from, i+120), excerpt(got, from, i+120))
}

func excerpt(b []byte, from, to int) string {
	return string(b[min(from, len(b)):min(to, len(b))])
}

// runOne measures one (scenario, target, load) on a freshly started
// process, so peak memory and caches start the same for every run.
func (b *bench) runOne(ctx context.Context, sc scenario, target string, l load) (runResult, error) {
	r := runResult{Scenario: sc.Name, Title: sc.Title, Target: target, Conns: l.Conns, Rate: l.Rate}
	if l.Rate > 0 {
		r.Conns = 0
	}
	p, err := b.start(ctx, target)
	if err != nil {
		return r, err
	}
	defer p.stop()
	tgt := b.target(p.base, sc, target)
	ref := b.refs[refKey(sc, target)]

	if b.o.warmup > 0 {
		attack(tgt, l, b.o.warmup, ref)
	}
	if r.StatementsMin, r.StatementsMax, err = b.calibrate(ctx, p.base, sc, target); err != nil {
		return r, err
	}

	if err := resetPeakRSS(p.pid()); err != nil {
		return r, fmt.Errorf("reset peak RSS: %w", err)
	}
	before, pgBefore, err := b.cpu(p.pid())
	if err != nil {
		return r, err
	}
	if err := b.cl.resetStatements(ctx); err != nil {
		return r, err
	}
	r.LoadStart, r.Started = loadAvg(), time.Now().UTC()

	out := attack(tgt, l, b.o.duration, ref)

	r.LoadEnd = loadAvg()
	after, pgAfter, err := b.cpu(p.pid())
	if err != nil {
		return r, err
	}
	calls, err := b.cl.statementCalls(ctx)
	if err != nil {
		return r, err
	}
	if r.Statements, err = b.cl.statements(ctx); err != nil {
		return r, err
	}
	rssKB, err := peakRSSKB(p.pid())
	if err != nil {
		return r, err
	}

	ms := func(ticks uint64) float64 { return float64(ticks) * 1000 / float64(b.ticks) }
	r.Requests = out.Requests
	r.Seconds = out.Elapsed.Seconds()
	r.HTTPErrors, r.GQLErrors, r.BodyDiffers = out.HTTPErrors, out.GQLErrors, out.BodyDiffers
	r.Errors, r.ErrorSample = out.errors(), out.Samples
	toMS := func(d time.Duration) float64 { return float64(d) / 1e6 }
	r.MeanMS, r.P50MS, r.P90MS, r.P99MS, r.MaxMS = toMS(out.Latency.Mean), toMS(out.Latency.P50), toMS(out.Latency.P90), toMS(out.Latency.P99), toMS(out.Latency.Max)
	pgTicks, exited := pgCPUDelta(pgBefore, pgAfter)
	r.PGBackends, r.PGBackendsExited = len(pgAfter.App), exited
	if pgAfter.Other >= pgBefore.Other {
		r.PGOtherCPUMS = ms(pgAfter.Other - pgBefore.Other)
	}
	r.PeakRSSMB = float64(rssKB) / 1024
	if n := float64(out.Requests); n > 0 {
		r.ReqPerSec = n / max(out.Elapsed.Seconds(), 1e-9)
		r.ServerCPUMSPerReq = ms(after.cpuTicks()-before.cpuTicks()) / n
		r.PGCPUMSPerReq = ms(pgTicks) / n
		r.StatementsPerReq = float64(calls) / n
	}
	return r, nil
}

// cpu reads the CPU time so far of the server process pid and of the
// cluster's backends, before and after a run.
func (b *bench) cpu(pid int) (procStat, pgCPU, error) {
	st, err := readStat(pid)
	if err != nil {
		return st, pgCPU{}, err
	}
	pg, err := b.cl.readCPU()
	return st, pg, err
}

// calibrate sends sequential requests, counting each one's statements, to
// show whether the count varies per request (the load run gives the mean).
func (b *bench) calibrate(ctx context.Context, base string, sc scenario, target string) (lo, hi int, err error) {
	lo = -1
	for range b.o.calibrate {
		if err := b.cl.resetStatements(ctx); err != nil {
			return 0, 0, err
		}
		if _, err := b.fetch(ctx, base, sc, target); err != nil {
			return 0, 0, err
		}
		n, err := b.cl.statementCalls(ctx)
		if err != nil {
			return 0, 0, err
		}
		if lo < 0 || int(n) < lo {
			lo = int(n)
		}
		hi = max(hi, int(n))
	}
	return max(lo, 0), hi, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// gitCommit is the source tree's HEAD and whether it has local changes,
// best effort.
func gitCommit(src string) (string, bool) {
	out, err := exec.Command("git", "-C", src, "rev-parse", "HEAD").Output()
	if err != nil {
		return "", false
	}
	st, _ := exec.Command("git", "-C", src, "status", "--porcelain", "--untracked-files=no").Output()
	return strings.TrimSpace(string(out)), len(bytes.TrimSpace(st)) > 0
}
