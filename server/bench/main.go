package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

func main() {
	if err := run(context.Background(), os.Args, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// plainCommand is the hidden first argument that makes the binary serve
// the plain handler instead of benchmarking: the benchmark runs it as a
// child process so its CPU and memory are measured apart from its own.
const plainCommand = "plain-handler"

// run is the whole program: it returns instead of exiting, and owns the
// signals, so an interrupted run still stops the server and the cluster.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	if len(args) > 1 && args[1] == plainCommand {
		return servePlain(ctx, args[2:])
	}
	o, err := parseOptions(args, stdout)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	return benchmark(ctx, o, stdout, os.Stderr)
}

// options are the command line.
type options struct {
	src       string
	scale     int
	cacheDir  string
	rebuild   bool
	pgBin     string
	scenarios []scenario
	conns     []int
	rate      int
	duration  time.Duration
	warmup    time.Duration
	plain     bool
	gzip      bool
	calibrate int
	out       string
	keep      bool
	serverEnv []string
	abusers   int
	subs      int
}

func parseOptions(args []string, stdout io.Writer) (options, error) {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stdout)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: go run ./server/bench [flags]   (see doc.go)")
		fs.PrintDefaults()
	}
	var o options
	tmp := filepath.Join(os.TempDir(), "shopgraph-bench")
	fs.StringVar(&o.src, "src", "", "source tree to build and measure (default: the module root above the current folder)")
	fs.IntVar(&o.scale, "scale", 10000, "products to seed (server seed --scale)")
	fs.StringVar(&o.cacheDir, "cache-dir", tmp, "where the seeded PostgreSQL clusters are cached, one per scale and data key")
	fs.BoolVar(&o.rebuild, "rebuild", false, "recreate and reseed the cached cluster")
	fs.StringVar(&o.pgBin, "pg-bin", "/usr/lib/postgresql/15/bin", "folder of the PostgreSQL 15 binaries (initdb, pg_ctl)")
	scen := fs.String("scenarios", "all", "comma-separated: nested, lookup, nested100, orders (or a, b, c, d)")
	conns := fs.String("conns", "1,16,64", "closed-loop runs: comma-separated numbers of connections (empty: none)")
	fs.IntVar(&o.rate, "rate", 100, "open-loop run at this many requests per second (0: none)")
	fs.DurationVar(&o.duration, "duration", 20*time.Second, "measured time of each run")
	fs.DurationVar(&o.warmup, "warmup", 3*time.Second, "unmeasured load before each run (fills the pool and the caches)")
	fs.BoolVar(&o.plain, "plain", true, "also run the plain net/http + lib/pq handler for the nested scenarios")
	fs.BoolVar(&o.gzip, "gzip", false, "accept gzip responses (server and plain handler then compress)")
	fs.IntVar(&o.calibrate, "calibrate", 10, "sequential requests per run whose statements are counted one by one (min/max)")
	fs.StringVar(&o.out, "out", filepath.Join(tmp, "bench-results.json"), "JSON file for all figures")
	fs.BoolVar(&o.keep, "keep", false, "keep the work folder (binary, logs) after a successful run")
	fs.IntVar(&o.abusers, "abusers", 0, "after the scenarios, measure normal users (lookup at -rate) alone and with this many abusive clients, on production limits (0: skip)")
	fs.IntVar(&o.subs, "subscribers", 0, "after the scenarios, measure this many WebSocket subscribers of one product's inventory: memory per idle subscription, event latency, statements per event (0: skip)")
	fs.Func("server-env", "NAME=value added to the server's environment (repeatable), e.g. -server-env GOGC=200", func(v string) error {
		if !strings.Contains(v, "=") {
			return fmt.Errorf("want NAME=value, got %q", v)
		}
		o.serverEnv = append(o.serverEnv, v)
		return nil
	})
	if err := fs.Parse(args[1:]); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if o.scenarios, err = selectScenarios(*scen); err != nil {
		return o, err
	}
	if o.conns, err = parseInts("-conns", *conns); err != nil {
		return o, err
	}
	if o.abusers > 0 && o.rate <= 0 {
		return o, errors.New("-abusers needs -rate: the normal users' open loop")
	}
	if o.subs < 0 {
		return o, errors.New("-subscribers must not be negative")
	}
	if o.abusers < 0 {
		return o, errors.New("-abusers must not be negative")
	}
	if len(o.conns) == 0 && o.rate <= 0 {
		return o, errors.New("nothing to run: give -conns or -rate")
	}
	if o.duration <= 0 || o.warmup < 0 || o.scale < 1 || o.calibrate < 0 {
		return o, errors.New("-duration and -scale must be positive, -warmup and -calibrate not negative")
	}
	if o.src == "" {
		if o.src, err = moduleRoot(); err != nil {
			return o, err
		}
	}
	if o.src, err = filepath.Abs(o.src); err != nil {
		return o, err
	}
	if o.cacheDir, err = filepath.Abs(o.cacheDir); err != nil {
		return o, err
	}
	return o, nil
}

// moduleRoot is the nearest folder at or above the current one whose go.mod
// declares the shopgraph module.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		b, err := os.ReadFile(filepath.Join(dir, "go.mod"))
		if err == nil && strings.Contains(string(b), "module github.com/shopgraph/shopgraph\n") {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("not inside the shopgraph module: give -src")
		}
		dir = parent
	}
}
