package main

import (
	"bufio"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"regexp"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/lib/pq" // the admin connection that drops a test database

	"github.com/shopgraph/shopgraph/ent/seed"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/ent/store/storetest"
)

func TestLoadConfig(t *testing.T) {
	t.Run("RejectsBadValue", func(t *testing.T) {
		tests := []struct {
			name     string
			variable string
			value    string
		}{
			{name: "UnknownEnv", variable: "APP_ENV", value: "staging"},
			{name: "NonPostgresURL", variable: "DATABASE_URL", value: "mysql://x"},
			{name: "ZeroMaxConns", variable: "DB_MAX_CONNS", value: "0"},
			{name: "NonNumericMaxConns", variable: "DB_MAX_CONNS", value: "abc"},
			{name: "UnknownLogLevel", variable: "LOG_LEVEL", value: "loud"},
			{name: "UnknownLogFormat", variable: "LOG_FORMAT", value: "xml"},
			{name: "LowerCaseCurrency", variable: "CURRENCY", value: "usd"},
			{name: "NonBoolAutoSeed", variable: "AUTO_SEED", value: "maybe"},
			{name: "NegativeShutdownTimeout", variable: "SHUTDOWN_TIMEOUT", value: "-1s"},
			{name: "ShortJWTSecret", variable: "JWT_SECRET", value: "too-short"},
			{name: "TokenTTLTooShort", variable: "TOKEN_TTL", value: "5s"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				_, err := loadConfig(env(map[string]string{tt.variable: tt.value}))
				if err == nil {
					t.Fatalf("loadConfig with %s=%q: got nil error, want one naming %s", tt.variable, tt.value, tt.variable)
				}
				if !strings.Contains(err.Error(), tt.variable) {
					t.Errorf("loadConfig with %s=%q: got error %q, want it to name %s", tt.variable, tt.value, err, tt.variable)
				}
			})
		}
	})

	t.Run("ErrProductionWithoutJWTSecret", func(t *testing.T) {
		_, err := loadConfig(env(map[string]string{"APP_ENV": "production"}))
		if err == nil || !strings.Contains(err.Error(), "JWT_SECRET") {
			t.Errorf("production without JWT_SECRET: got error %v, want one naming JWT_SECRET", err)
		}
	})

	t.Run("ReportsEveryBadValue", func(t *testing.T) {
		vars := map[string]string{
			"APP_ENV":      "staging",
			"LOG_FORMAT":   "xml",
			"CURRENCY":     "usd",
			"DB_MAX_CONNS": "abc",
		}
		_, err := loadConfig(env(vars))
		if err == nil {
			t.Fatalf("loadConfig with four bad values: got nil error, want one naming each")
		}
		for name := range vars {
			if !strings.Contains(err.Error(), name) {
				t.Errorf("got error %q, want it to name %s", err, name)
			}
		}
	})

	t.Run("DefaultsWhenUnset", func(t *testing.T) {
		got, err := loadConfig(env(nil))
		if err != nil {
			t.Fatalf("loadConfig with nothing set: got error %v, want nil", err)
		}
		want := config{
			Env:                "development",
			Addr:               "127.0.0.1:8080",
			DataDir:            "./data",
			DBMaxConns:         10,
			DBStatementCache:   512,
			DBStatementTimeout: 15 * time.Second,
			DBConnsPerRequest:  4,
			LogLevel:           slog.LevelInfo,
			LogFormat:          "json",
			Currency:           "USD",
			AutoSeed:           true,
			ShutdownTimeout:    15 * time.Second,
			JWTSecret:          []byte{},
			TokenTTL:           time.Hour,

			MaxCost:                 20000,
			MaxDepth:                15,
			MaxAliases:              50,
			MaxFields:               1000,
			MaxTokens:               10000,
			MaxBodyBytes:            1 << 20,
			MaxInFlight:             8 * runtime.GOMAXPROCS(0),
			MaxSubscriptionsPerUser: 200, MaxConnectionsPerClient: 20,
			RequestTimeout:    15 * time.Second,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       10 * time.Second,
			RateCapacity:      60000,
			RatePerSecond:     2000,
			SignInPerMinute:   10,
			CheckoutPerMinute: 30,
			PersistedPerHour:  100,
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("got %+v, want %+v", got, want)
		}
	})

	t.Run("ProductionDoesNotAutoSeed", func(t *testing.T) {
		got, err := loadConfig(env(map[string]string{"APP_ENV": "production", "JWT_SECRET": testSecret}))
		if err != nil {
			t.Fatalf("loadConfig with APP_ENV=production: got error %v, want nil", err)
		}
		if got.AutoSeed {
			t.Errorf("AutoSeed with APP_ENV=production: got true, want false")
		}
	})
}

func TestRunServesOnSQLite(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir()})
	assertServes(t, s)
}

func TestRunServesOnPostgres(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DATABASE_URL": storetest.CreateDatabase(t)})
	assertServes(t, s)
}

// assertServes checks what every development server answers: probes,
// playground, GraphQL over the auto-seeded demo data and request ids; then
// that it stops cleanly.
func assertServes(t *testing.T, s *server) {
	t.Helper()
	t.Run("HealthzOK", func(t *testing.T) {
		res := s.get(t, "/healthz", nil)
		if res.StatusCode != http.StatusOK || strings.TrimSpace(res.Body) != "ok" {
			t.Errorf("GET /healthz: got %d %q, want 200 \"ok\"", res.StatusCode, res.Body)
		}
	})
	t.Run("ReadyzOK", func(t *testing.T) {
		if res := s.get(t, "/readyz", nil); res.StatusCode != http.StatusOK {
			t.Errorf("GET /readyz: got %d %q, want 200", res.StatusCode, res.Body)
		}
	})
	t.Run("PlaygroundServed", func(t *testing.T) {
		res := s.get(t, "/", nil)
		if res.StatusCode != http.StatusOK {
			t.Fatalf("GET /: got status %d, want 200", res.StatusCode)
		}
		if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
			t.Errorf("GET / Content-Type: got %q, want text/html", ct)
		}
		if !strings.Contains(strings.ToLower(res.Body), "graphiql") {
			t.Errorf("GET /: got a page without \"graphiql\", want the GraphiQL playground:\n%s", res.Body)
		}
	})
	t.Run("DemoDataSeeded", func(t *testing.T) {
		var data productsData
		s.query(t, `{ products(first: 2) { totalCount edges { node { title } } } }`, &data)
		if data.Products.TotalCount <= 0 {
			t.Errorf("products totalCount: got %d, want > 0 (demo data auto-seeded)", data.Products.TotalCount)
		}
		if got := len(data.Products.Edges); got != 2 {
			t.Fatalf("products(first: 2) edges: got %d, want 2", got)
		}
		for i, e := range data.Products.Edges {
			if e.Node.Title == "" {
				t.Errorf("edge %d title: got empty, want a product title", i)
			}
		}
	})
	t.Run("RequestIDAssigned", func(t *testing.T) {
		res := s.get(t, "/healthz", nil)
		if id := res.Header.Get("X-Request-Id"); id == "" {
			t.Errorf("X-Request-Id without one sent: got empty, want a generated id")
		}
	})
	const incoming = "test-request.ID_42"
	t.Run("RequestIDEchoed", func(t *testing.T) {
		res := s.get(t, "/healthz", http.Header{"X-Request-Id": {incoming}})
		if id := res.Header.Get("X-Request-Id"); id != incoming {
			t.Errorf("X-Request-Id: got %q, want the incoming %q", id, incoming)
		}
	})
	t.Run("InvalidRequestIDReplaced", func(t *testing.T) {
		const forged = "evil\" level=ERROR msg=forged"
		res := s.get(t, "/healthz", http.Header{"X-Request-Id": {forged}})
		if id := res.Header.Get("X-Request-Id"); id == "" || id == forged {
			t.Errorf("X-Request-Id for a forged one: got %q, want a fresh id", id)
		}
	})
	t.Run("StopsOnCancel", func(t *testing.T) {
		s.stop(t)
		if out := s.out.String(); !strings.Contains(out, "request_id="+incoming) {
			t.Errorf("log: got no line with request_id=%s, want the access log to carry it:\n%s", incoming, out)
		}
	})
}

func TestGracefulShutdownDrainsInFlight(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir(), "SHUTDOWN_TIMEOUT": "10s"})

	// The request is held in flight by the client, not by a slow query: the
	// handler is blocked reading a body the client has not finished sending.
	// "Expect: 100-continue" makes the server say (with 100 Continue) the
	// moment the handler starts reading it, so there is no sleeping on
	// timing.
	body := `{"query":"{ products(first: 2) { totalCount } }"}`
	conn, err := net.Dial("tcp", s.addr)
	if err != nil {
		t.Fatalf("dial %s: got error %v, want nil", s.addr, err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second))
	fmt.Fprintf(conn, "POST /graphql HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\nExpect: 100-continue\r\n\r\n", s.addr, len(body))
	br := bufio.NewReader(conn)
	cont, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read interim response: got error %v, want nil", err)
	}
	if cont.StatusCode != http.StatusContinue {
		t.Fatalf("interim response: got status %d, want 100 (handler reading the body)", cont.StatusCode)
	}
	half := len(body) / 2
	if _, err := io.WriteString(conn, body[:half]); err != nil {
		t.Fatalf("write first half of the body: got error %v, want nil", err)
	}

	s.cancel()
	// Shutdown closes the listener first: once new connections are refused
	// it is draining, and run must still be waiting for our request.
	waitRefused(t, s.addr)
	select {
	case err := <-s.done:
		s.done <- err // for the cleanup
		t.Fatalf("got run returning %v while a request was in flight, want it to wait for the request", err)
	default:
	}

	if _, err := io.WriteString(conn, body[half:]); err != nil {
		t.Fatalf("write rest of the body: got error %v, want nil", err)
	}
	res, err := http.ReadResponse(br, nil)
	if err != nil {
		t.Fatalf("read response of the in-flight request: got error %v, want nil", err)
	}
	raw, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil {
		t.Fatalf("read body of the in-flight request: got error %v, want nil", err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("in-flight request: got status %d %s, want 200", res.StatusCode, raw)
	}
	var gql struct {
		Data   productsData     `json:"data"`
		Errors []map[string]any `json:"errors"`
	}
	if err := json.Unmarshal(raw, &gql); err != nil {
		t.Fatalf("in-flight response: got invalid JSON %q (%v), want JSON", raw, err)
	}
	if len(gql.Errors) > 0 || gql.Data.Products.TotalCount <= 0 {
		t.Errorf("in-flight response: got %s, want data with totalCount > 0", raw)
	}
	s.wait(t)
}

func TestSeedCommand(t *testing.T) {
	t.Parallel()
	summary := regexp.MustCompile(`seeded (\d+) users, (\d+) categories, (\d+) products, (\d+) variants, (\d+) reviews, (\d+) orders, (\d+) order lines`)
	// seeded runs seed in a fresh data folder and returns the product count
	// it reports.
	seeded := func(t *testing.T, dir string, args ...string) int {
		t.Helper()
		out, err := runCommand(t, map[string]string{"DATA_DIR": dir}, append([]string{"server", "seed"}, args...)...)
		if err != nil {
			t.Fatalf("seed %v: got error %v, want nil; output:\n%s", args, err, out)
		}
		m := summary.FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("seed %v output: got %q, want a line matching %q", args, out, summary)
		}
		for i, n := range m[1:] {
			if n == "0" {
				t.Errorf("seed %v: got 0 for count %d in %q, want every count > 0", args, i+1, m[0])
			}
		}
		products, _ := strconv.Atoi(m[3])
		return products
	}

	t.Run("SeedsDemoData", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		seeded(t, dir)
		t.Run("RefusesNonEmptyDatabase", func(t *testing.T) {
			out, err := runCommand(t, map[string]string{"DATA_DIR": dir}, "server", "seed")
			if !errors.Is(err, seed.ErrNotEmpty) {
				t.Errorf("second seed: got error %v, want %v; output:\n%s", err, seed.ErrNotEmpty, out)
			}
		})
	})
	t.Run("SeedsScale", func(t *testing.T) {
		t.Parallel()
		if got := seeded(t, t.TempDir(), "--scale", "200"); got != 200 {
			t.Errorf("seed --scale 200 products: got %d, want 200", got)
		}
	})
	t.Run("ErrNonPositiveScale", func(t *testing.T) {
		t.Parallel()
		out, err := runCommand(t, map[string]string{"DATA_DIR": t.TempDir()}, "server", "seed", "--scale", "-5")
		if err == nil {
			t.Errorf("seed --scale -5: got nil error (output %q), want a refusal instead of loading the demo data", out)
		}
	})
	t.Run("ErrProduction", func(t *testing.T) {
		t.Parallel()
		out, err := runCommand(t, map[string]string{"DATA_DIR": t.TempDir(), "APP_ENV": "production", "JWT_SECRET": testSecret}, "server", "seed")
		if err == nil || !strings.Contains(err.Error(), "production") {
			t.Errorf("seed with APP_ENV=production: got error %v, want one mentioning production", err)
		}
		if strings.Contains(out, "seeded") {
			t.Errorf("seed with APP_ENV=production: got output %q, want nothing seeded", out)
		}
	})
	t.Run("MigrateLeavesEmptyDatabase", func(t *testing.T) {
		t.Parallel()
		vars := map[string]string{"DATA_DIR": t.TempDir()}
		out, err := runCommand(t, vars, "server", "migrate")
		if err != nil {
			t.Fatalf("migrate: got error %v, want nil; output:\n%s", err, out)
		}
		if !strings.Contains(out, "schema_version=") || strings.Contains(out, "schema_version=0 ") {
			t.Errorf("migrate log: got %q, want a non-zero schema_version", out)
		}
		cfg, err := loadConfig(env(vars))
		if err != nil {
			t.Fatalf("got error %v, want nil", err)
		}
		st, err := store.Open(t.Context(), store.Config{SQLitePath: cfg.sqlitePath()})
		if err != nil {
			t.Fatalf("open the migrated database: got error %v, want nil", err)
		}
		defer st.Close()
		// Empty queries the products and users tables: it fails unless
		// they were created.
		empty, err := seed.Empty(t.Context(), st)
		if err != nil {
			t.Fatalf("query the migrated database: got error %v, want its tables to exist", err)
		}
		if !empty {
			t.Errorf("database after migrate: got rows, want it empty")
		}
	})
	t.Run("ErrUnknownCommand", func(t *testing.T) {
		t.Parallel()
		_, err := runCommand(t, map[string]string{"DATA_DIR": t.TempDir()}, "server", "frobnicate")
		if err == nil || !strings.Contains(err.Error(), "frobnicate") {
			t.Errorf("unknown command: got error %v, want one naming \"frobnicate\"", err)
		}
	})
}

func TestProductionHidesPlayground(t *testing.T) {
	t.Parallel()
	s := startServer(t, map[string]string{"DATA_DIR": t.TempDir(), "APP_ENV": "production", "JWT_SECRET": testSecret})

	t.Run("NoPlayground", func(t *testing.T) {
		if res := s.get(t, "/", nil); res.StatusCode != http.StatusNotFound {
			t.Errorf("GET / in production: got status %d, want 404", res.StatusCode)
		}
	})
	t.Run("ErrIntrospection", func(t *testing.T) {
		res := s.post(t, `{ __schema { queryType { name } } }`)
		var gql struct {
			Data struct {
				Schema *struct{} `json:"__schema"`
			} `json:"data"`
			Errors []struct {
				Message string `json:"message"`
			} `json:"errors"`
		}
		if err := json.Unmarshal([]byte(res.Body), &gql); err != nil {
			t.Fatalf("introspection response: got invalid JSON %q (%v), want JSON", res.Body, err)
		}
		if len(gql.Errors) == 0 || gql.Data.Schema != nil {
			t.Errorf("introspection in production: got %s, want an error and no schema", res.Body)
		}
	})
	t.Run("NoDemoData", func(t *testing.T) {
		var data productsData
		s.query(t, `{ products(first: 2) { totalCount edges { node { title } } } }`, &data)
		if data.Products.TotalCount != 0 {
			t.Errorf("products totalCount in production: got %d, want 0 (no auto-seed)", data.Products.TotalCount)
		}
	})
	s.stop(t)
}

// TestReadyzAnswersWhileTheDatabaseHangs: with the database hanging (a
// proxy holds every byte), /readyz answers 503 at its own short timeout,
// well before the stuck connection gives up (REQUEST_TIMEOUT and 5 s
// later) or this client does (10 s).
func TestReadyzAnswersWhileTheDatabaseHangs(t *testing.T) {
	t.Parallel()
	proxy, dbURL := storetest.StartProxy(t, storetest.CreateDatabase(t))
	s := startServer(t, map[string]string{"DATABASE_URL": dbURL, "AUTO_SEED": "false", "REQUEST_TIMEOUT": "30s"})
	if res := s.get(t, "/readyz", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("GET /readyz before the freeze: got %d %q, want 200", res.StatusCode, res.Body)
	}
	proxy.Freeze()
	defer proxy.Thaw()
	if res := s.get(t, "/readyz", nil); res.StatusCode != http.StatusServiceUnavailable {
		t.Fatalf("GET /readyz while the database hangs: got %d %q, want 503", res.StatusCode, res.Body)
	}
}

func TestReadyzFailsWhenDatabaseGone(t *testing.T) {
	t.Parallel()
	dbURL := storetest.CreateDatabase(t)
	s := startServer(t, map[string]string{"DATABASE_URL": dbURL, "AUTO_SEED": "false"})
	if res := s.get(t, "/readyz", nil); res.StatusCode != http.StatusOK {
		t.Fatalf("GET /readyz before the drop: got %d %q, want 200", res.StatusCode, res.Body)
	}

	u, err := url.Parse(dbURL)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	admin, err := sql.Open("postgres", storetest.DefaultAdminURL)
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	defer admin.Close()
	if _, err := admin.Exec("DROP DATABASE " + strings.TrimPrefix(u.Path, "/") + " WITH (FORCE)"); err != nil {
		t.Fatalf("drop the server's database: got error %v, want nil", err)
	}

	t.Run("ReadyzUnavailable", func(t *testing.T) {
		if res := s.get(t, "/readyz", nil); res.StatusCode != http.StatusServiceUnavailable {
			t.Errorf("GET /readyz with the database gone: got %d %q, want 503", res.StatusCode, res.Body)
		}
	})
	t.Run("HealthzStillOK", func(t *testing.T) {
		if res := s.get(t, "/healthz", nil); res.StatusCode != http.StatusOK {
			t.Errorf("GET /healthz with the database gone: got %d %q, want 200", res.StatusCode, res.Body)
		}
	})
	s.stop(t)
}
