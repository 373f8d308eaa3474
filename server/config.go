package main

import (
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/graph"
	"github.com/shopgraph/shopgraph/graph/limits"
)

// config is everything the server reads from its environment, read in one
// place (loadConfig) so a bad value stops start-up with a message naming it.
type config struct {
	Env                string // development or production
	Addr               string
	DatabaseURL        string // empty: embedded SQLite in DataDir
	DataDir            string
	DBMaxConns         int
	DBStatementCache   int
	DBStatementTimeout time.Duration
	DBConnsPerRequest  int
	TrustedProxies     []netip.Prefix
	LogLevel           slog.Level
	LogFormat          string // json or text
	Currency           string
	AutoSeed           bool // seed demo data into an empty database at start
	ShutdownTimeout    time.Duration
	JWTSecret          []byte // empty in development: a random key per process
	TokenTTL           time.Duration

	MaxCost, MaxDepth, MaxAliases, MaxFields, MaxTokens  int
	MaxBodyBytes                                         int64
	MaxInFlight                                          int
	MaxSubscriptionsPerUser, MaxConnectionsPerClient     int
	RequestTimeout, ReadHeaderTimeout, ReadTimeout       time.Duration
	RateCapacity, RatePerSecond                          float64
	SignInPerMinute, CheckoutPerMinute, PersistedPerHour float64
	RedisURL                                             string
	CORSOrigins                                          []string
}

// sqlitePath is the embedded database file.
func (c config) sqlitePath() string { return filepath.Join(c.DataDir, "shopgraph.db") }

func (c config) production() bool { return c.Env == "production" }

// limitPolicy is the demand-control and rate-limit policy the settings
// describe.
func (c config) limitPolicy() limits.Policy {
	return limits.Policy{
		MaxCost:              c.MaxCost,
		MaxDepth:             c.MaxDepth,
		MaxAliases:           c.MaxAliases,
		MaxFields:            c.MaxFields,
		Budget:               limits.Rule{Capacity: c.RateCapacity, PerSecond: c.RatePerSecond},
		SignInPerMinute:      c.SignInPerMinute,
		CheckoutPerMinute:    c.CheckoutPerMinute,
		RegistrationsPerHour: c.PersistedPerHour,
	}
}

// setting is one environment variable: declared once, with everything
// that reads, checks and documents it, so the README's table
// (TestREADMEConfigTable) cannot drift from what the server does.
type setting struct {
	name string
	// def is used when the variable is unset or blank; "" leaves it unset,
	// and parse sees "".
	def string
	// defFrom, if set, computes the default from the settings declared
	// above it (the table is walked in order).
	defFrom func() string
	// docDefault is the README's default column when it is not def in
	// backquotes: a computed default, or what unset means.
	docDefault string
	// doc is the README's meaning column.
	doc string
	// parse checks a value and stores it in the config being loaded.
	parse func(v string) error
	// check, if set, runs after every setting is parsed, for rules that
	// involve others; it runs only if this setting's own value parsed.
	check func() error
	// testOnly settings are read by the tests, not the server: they are
	// declared here only to be documented.
	testOnly bool
}

// settings is the configuration table; its parsers fill c. The order is
// the README's, and the order errors are reported in.
func settings(c *config) []setting {
	return []setting{
		{name: "APP_ENV", def: "development", parse: oneOf(&c.Env, "development", "production"),
			doc: "`development` or `production`; production turns off demo seeding, the playground and introspection"},
		{name: "ADDR", def: "127.0.0.1:8080", parse: text(&c.Addr),
			doc: "listen address; the default answers this machine only, `:8080` listens on every interface (the Dockerfile sets it)"},
		{name: "DATABASE_URL", parse: urlOf(&c.DatabaseURL, "postgres://", "postgresql://"),
			doc: "`postgres://…` URL (lib/pq); unset uses the embedded SQLite file"},
		{name: "DATA_DIR", def: "./data", parse: text(&c.DataDir),
			doc: "folder of the embedded SQLite database (WAL, busy timeout, foreign keys on)"},
		{name: "DB_MAX_CONNS", def: "10", parse: intIn(&c.DBMaxConns, 1, 1000),
			doc: "connection pool cap"},
		{name: "DB_CONNS_PER_REQUEST", def: "4", parse: intIn(&c.DBConnsPerRequest, 0, 1000),
			doc: "database connections one request's reads may hold at once, so one request cannot take the whole pool (`0`: no cap)"},
		{name: "DB_STATEMENT_CACHE", def: strconv.Itoa(store.DefaultStatementCache), parse: intIn(&c.DBStatementCache, 0, 100000),
			doc: "distinct read statements kept prepared per connection, parsed and planned once; `0` behind a pooler in transaction mode (PgBouncer < 1.21)"},
		{name: "LOG_LEVEL", def: "info", parse: logLevel(&c.LogLevel),
			doc: "`debug`, `info`, `warn`, `error`"},
		{name: "LOG_FORMAT", def: "json", parse: oneOf(&c.LogFormat, "json", "text"),
			doc: "`json` or `text` (slog; one line per request with its request id)"},
		{name: "CURRENCY", def: "USD", parse: currency(&c.Currency),
			doc: "ISO 4217 code of all prices"},
		{name: "AUTO_SEED", parse: boolean(&c.AutoSeed),
			defFrom:    func() string { return strconv.FormatBool(c.Env == "development") },
			docDefault: "`true` in development",
			doc:        "seed demo data into an empty database at start"},
		{name: "SHUTDOWN_TIMEOUT", def: "15s", parse: durationIn(&c.ShutdownTimeout, 0, 0),
			doc: "how long in-flight requests may finish on SIGTERM"},
		{name: "JWT_SECRET", parse: secret(&c.JWTSecret, 32),
			check: func() error {
				if len(c.JWTSecret) == 0 && c.production() {
					return errors.New("is required with APP_ENV=production")
				}
				return nil
			},
			docDefault: "random per process in development",
			doc:        "key that signs access tokens (≥ 32 bytes); required in production"},
		{name: "TOKEN_TTL", def: "1h", parse: durationIn(&c.TokenTTL, time.Minute, 30*24*time.Hour),
			doc: "lifetime of an access token"},

		{name: "MAX_COST", def: "20000", parse: atLeast(&c.MaxCost, 1),
			doc: "largest cost of one operation (see the limits table)"},
		{name: "MAX_DEPTH", def: "15", parse: atLeast(&c.MaxDepth, 1),
			doc: "deepest nesting of an operation"},
		{name: "MAX_ALIASES", def: "50", parse: atLeast(&c.MaxAliases, 1),
			doc: "most aliases in an operation"},
		{name: "MAX_FIELDS", def: "1000", parse: atLeast(&c.MaxFields, 1),
			doc: "most field selections in an operation, fragments expanded"},
		{name: "MAX_TOKENS", def: "10000", parse: atLeast(&c.MaxTokens, 1),
			doc: "most lexer tokens in a query document"},
		{name: "MAX_BODY_BYTES", def: "1048576", parse: atLeast(&c.MaxBodyBytes, 1),
			doc: "largest request body"},
		// Past a few requests per core more concurrency only adds memory
		// (see graph.Options.MaxInFlight), so the default follows the cores.
		{name: "MAX_IN_FLIGHT", parse: atLeast(&c.MaxInFlight, 0),
			defFrom:    func() string { return strconv.Itoa(8 * runtime.GOMAXPROCS(0)) },
			docDefault: "8 × cores",
			doc:        "requests executing at once; the rest wait for a slot (0: no cap)"},
		{name: "MAX_SUBSCRIPTIONS_PER_USER", def: "200", parse: atLeast(&c.MaxSubscriptionsPerUser, 0),
			doc: "subscriptions one user (anonymous: one client IP) may run at once, over WebSockets and SSE together; counted per instance (`0`: no cap)"},
		{name: "MAX_CONNECTIONS_PER_CLIENT", def: "20", parse: atLeast(&c.MaxConnectionsPerClient, 0),
			doc: "WebSockets and SSE streams one client (its user if the connection names one as it opens, else its IP) may hold open at once; counted per instance (`0`: no cap)"},
		{name: "REQUEST_TIMEOUT", def: "15s", parse: durationIn(&c.RequestTimeout, 0, 0),
			doc: "request deadline"},
		{name: "DB_STATEMENT_TIMEOUT", parse: durationIn(&c.DBStatementTimeout, 0, 24*time.Hour),
			defFrom:    func() string { return c.RequestTimeout.String() },
			docDefault: "`REQUEST_TIMEOUT`",
			doc:        "PostgreSQL `statement_timeout` of the serving pool, so no statement outlives its request even if the cancel sent at the deadline is lost; a connection silent for 5 s longer than this (a hanging database) is dropped (`0`: neither; a value in `DATABASE_URL` wins; migrations and `seed` run without it)"},
		{name: "READ_HEADER_TIMEOUT", def: "5s", parse: durationIn(&c.ReadHeaderTimeout, 0, 0),
			doc: "slow-client cut-off: time to send the request headers"},
		{name: "READ_TIMEOUT", def: "10s", parse: durationIn(&c.ReadTimeout, 0, 0),
			doc: "slow-client cut-off: time to send the request body once the headers are in (`408 REQUEST_TIMEOUT`)"},
		{name: "RATE_LIMIT_CAPACITY", def: "60000", parse: positive(&c.RateCapacity),
			check: func() error {
				if c.RateCapacity < float64(c.MaxCost) {
					return fmt.Errorf("must be at least MAX_COST (%d), or the largest allowed query could never run", c.MaxCost)
				}
				return nil
			},
			doc: "cost budget per user or IP: the bucket's size (at least `MAX_COST`)"},
		{name: "RATE_LIMIT_PER_SECOND", def: "2000", parse: positive(&c.RatePerSecond),
			doc: "cost budget per user or IP: what it refills each second"},
		{name: "SIGNIN_PER_MINUTE", def: "10", parse: positive(&c.SignInPerMinute),
			doc: "business limit: `signIn` and `signUp` attempts per client IP, `changePassword` attempts per user"},
		{name: "CHECKOUT_PER_MINUTE", def: "30", parse: positive(&c.CheckoutPerMinute),
			doc: "business limit: `placeOrder` calls per user"},
		{name: "PERSISTED_QUERIES_PER_HOUR", def: "100", parse: positive(&c.PersistedPerHour),
			doc: "new automatic persisted queries each user or IP may register (documents over 16 KiB are never stored)"},
		{name: "REDIS_URL", parse: urlOf(&c.RedisURL, "redis://", "rediss://"),
			doc: "share rate limits and persisted queries across instances"},
		{name: "TRUSTED_PROXIES", parse: proxies(&c.TrustedProxies),
			docDefault: "*(unset: none)*",
			doc:        "comma-separated CIDRs or IP addresses (IPv4 or IPv6) of your load balancers: their `Forwarded` (else `X-Forwarded-For`), read from the right, names the client for per-client limits (see Limits); anyone else's headers are ignored"},
		{name: "CORS_ALLOWED_ORIGINS", parse: origins(&c.CORSOrigins),
			docDefault: "*(unset: none)*",
			doc:        "comma-separated browser origins allowed"},

		{name: "TEST_REDIS_URL", def: "redis://127.0.0.1:6379/0", testOnly: true,
			doc: "tests only: the Redis used by limit tests"},
		{name: "TEST_DATABASE_URL", def: "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", testOnly: true,
			doc: "tests only: server on which test databases are created"},
	}
}

// loadConfig reads every setting through getenv and reports every bad
// value at once, each with its variable's name.
func loadConfig(getenv func(string) string) (config, error) {
	var c config
	var errs []string
	bad := func(name string, err error) { errs = append(errs, name+": "+err.Error()) }
	var checks []setting
	for _, s := range settings(&c) {
		if s.testOnly {
			continue
		}
		v := strings.TrimSpace(getenv(s.name))
		if v == "" {
			v = s.def
			if s.defFrom != nil {
				v = s.defFrom()
			}
		}
		if err := s.parse(v); err != nil {
			bad(s.name, err)
		} else if s.check != nil {
			checks = append(checks, s)
		}
	}
	for _, s := range checks {
		if err := s.check(); err != nil {
			bad(s.name, err)
		}
	}
	if len(errs) > 0 {
		return config{}, fmt.Errorf("invalid configuration:\n  %s", strings.Join(errs, "\n  "))
	}
	return c, nil
}

// The parsers below store a value only if it is valid; their errors follow
// the variable's name in loadConfig's report.

func text(p *string) func(string) error {
	return func(v string) error { *p = v; return nil }
}

func oneOf(p *string, values ...string) func(string) error {
	return func(v string) error {
		for _, ok := range values {
			if v == ok {
				*p = v
				return nil
			}
		}
		return fmt.Errorf("must be %s, got %q", orList(values), v)
	}
}

// urlOf accepts "" (unset) or a URL with one of the scheme prefixes. The
// drivers parse it fully when they connect.
func urlOf(p *string, schemes ...string) func(string) error {
	return func(v string) error {
		ok := v == ""
		for _, s := range schemes {
			ok = ok || strings.HasPrefix(v, s)
		}
		if !ok {
			return fmt.Errorf("must be a %s URL", orList(schemes))
		}
		*p = v
		return nil
	}
}

func currency(p *string) func(string) error {
	return func(v string) error {
		if len(v) != 3 || strings.ToUpper(v) != v {
			return fmt.Errorf("must be a 3-letter ISO 4217 code, got %q", v)
		}
		*p = v
		return nil
	}
}

// intIn accepts an integer from lo to hi.
func intIn[T int | int64](p *T, lo, hi T) func(string) error {
	return integer(p, func(n T) bool { return n >= lo && n <= hi }, fmt.Sprintf("must be an integer from %d to %d", lo, hi))
}

// atLeast accepts an integer of lo or more.
func atLeast[T int | int64](p *T, lo T) func(string) error {
	msg := fmt.Sprintf("must be an integer of at least %d", lo)
	switch lo {
	case 0:
		msg = "must be a non-negative integer"
	case 1:
		msg = "must be a positive integer"
	}
	return integer(p, func(n T) bool { return n >= lo }, msg)
}

func integer[T int | int64](p *T, ok func(T) bool, msg string) func(string) error {
	return func(v string) error {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || int64(T(n)) != n || !ok(T(n)) {
			return errors.New(msg)
		}
		*p = T(n)
		return nil
	}
}

func positive(p *float64) func(string) error {
	return func(v string) error {
		f, err := strconv.ParseFloat(v, 64)
		if err != nil || f <= 0 {
			return errors.New("must be a positive number")
		}
		*p = f
		return nil
	}
}

func boolean(p *bool) func(string) error {
	return func(v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return errors.New("must be true or false")
		}
		*p = b
		return nil
	}
}

// durationIn accepts a duration from lo to hi, or, with lo and hi zero,
// any positive one.
func durationIn(p *time.Duration, lo, hi time.Duration) func(string) error {
	return func(v string) error {
		d, err := time.ParseDuration(v)
		if lo == 0 && hi == 0 {
			if err != nil || d <= 0 {
				return errors.New("must be a positive duration such as 15s")
			}
		} else if err != nil || d < lo || d > hi {
			return fmt.Errorf("must be a duration between %s and %s", shortDuration(lo), shortDuration(hi))
		}
		*p = d
		return nil
	}
}

// shortDuration writes 720h rather than 720h0m0s.
func shortDuration(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func logLevel(p *slog.Level) func(string) error {
	return func(v string) error {
		if err := p.UnmarshalText([]byte(v)); err != nil {
			return errors.New("must be debug, info, warn or error")
		}
		return nil
	}
}

// secret accepts "" (unset: the check decides whether that is allowed) or
// at least minLen bytes.
func secret(p *[]byte, minLen int) func(string) error {
	return func(v string) error {
		if v != "" && len(v) < minLen {
			return fmt.Errorf("must be at least %d bytes", minLen)
		}
		*p = []byte(v)
		return nil
	}
}

// origins reads a comma-separated list of browser origins; "*" is any.
func origins(p *[]string) func(string) error {
	return func(v string) error {
		var list []string
		for _, o := range strings.Split(v, ",") {
			if o = strings.TrimSpace(o); o == "" {
				continue
			}
			if o != "*" && !strings.HasPrefix(o, "https://") && !strings.HasPrefix(o, "http://") {
				return fmt.Errorf("%q is not an origin like https://shop.example", o)
			}
			list = append(list, o)
		}
		*p = list
		return nil
	}
}

// proxies parses TRUSTED_PROXIES.
func proxies(p *[]netip.Prefix) func(string) error {
	return func(v string) error {
		list, err := graph.ProxyCIDRs(strings.Split(v, ","))
		if err != nil {
			return fmt.Errorf("want CIDRs or IP addresses: %w", err)
		}
		*p = list
		return nil
	}
}

// orList joins values as "a, b or c".
func orList(values []string) string {
	if len(values) < 2 {
		return strings.Join(values, "")
	}
	return strings.Join(values[:len(values)-1], ", ") + " or " + values[len(values)-1]
}
