package main

import (
	"bytes"
	"flag"
	"net/netip"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopgraph/shopgraph/ent/store/storetest"
)

// update is the golden-file idiom: go test ./server -run TestREADMEConfigTable -update
var update = flag.Bool("update", false, "rewrite the README's configuration table from the settings in config.go")

const (
	readmePath  = "../README.md" // the module root's, one folder up
	configBegin = "<!-- config:begin -->"
	configEnd   = "<!-- config:end -->"
	regenerate  = "go test ./server -run TestREADMEConfigTable -update"
)

// configTable is the README's table of the settings, with the blank lines
// that keep it apart from the markers.
func configTable(ss []setting) string {
	var b strings.Builder
	b.WriteString("\n\n| variable | default | meaning |\n|---|---|---|\n")
	for _, s := range ss {
		b.WriteString("| `" + s.name + "` | " + documentedDefault(s) + " | " + s.doc + " |\n")
	}
	b.WriteString("\n")
	return b.String()
}

// documentedDefault is the default column of s.
func documentedDefault(s setting) string {
	switch {
	case s.docDefault != "":
		return s.docDefault
	case s.def == "":
		return "*(unset)*"
	}
	return "`" + s.def + "`"
}

// readmeRow is one row of the README's table, as written.
type readmeRow struct{ names, def, doc string }

func TestREADMEConfigTable(t *testing.T) {
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatalf("read README: %v", err)
	}
	begin := bytes.Index(readme, []byte(configBegin))
	end := bytes.Index(readme, []byte(configEnd))
	if begin < 0 || end < begin {
		t.Fatalf("README.md: got no %s … %s around the configuration table, want both, in order", configBegin, configEnd)
	}
	begin += len(configBegin)
	ss := settings(&config{})
	want := configTable(ss)
	if *update {
		out := slices.Concat(readme[:begin], []byte(want), readme[end:])
		if err := os.WriteFile(readmePath, out, 0o644); err != nil {
			t.Fatalf("write README: %v", err)
		}
		return
	}

	rows := map[string]readmeRow{}
	var order []string
	for _, line := range strings.Split(string(readme[begin:end]), "\n") {
		cells := strings.Split(strings.Trim(line, "| "), " | ")
		if !strings.HasPrefix(line, "| `") || len(cells) != 3 {
			continue
		}
		r := readmeRow{names: cells[0], def: cells[1], doc: cells[2]}
		name := strings.Trim(r.names, "`")
		if strings.Contains(name, "`") {
			t.Errorf("README row %s: got several variables in one row, want one per row, so each default can be checked (%s)", r.names, regenerate)
			continue
		}
		rows[name] = r
		order = append(order, name)
	}
	for _, s := range ss {
		r, ok := rows[s.name]
		switch {
		case !ok:
			t.Errorf("%s: read by the server but missing from the README's table (%s)", s.name, regenerate)
		case r.def != documentedDefault(s):
			t.Errorf("%s: README's default is %s, want %s (%s)", s.name, r.def, documentedDefault(s), regenerate)
		case r.doc != s.doc:
			t.Errorf("%s: README's meaning is %q, want %q, as in config.go (%s)", s.name, r.doc, s.doc, regenerate)
		}
		delete(rows, s.name)
	}
	for _, name := range order {
		if _, left := rows[name]; left {
			t.Errorf("%s: documented in the README but read by no setting in config.go; declare it or drop the row (%s)", name, regenerate)
		}
	}
	if !t.Failed() && string(readme[begin:end]) != want {
		t.Errorf("README's configuration table: rows agree, but the order or layout differs from config.go's table (%s)", regenerate)
	}
}

// Elsewhere the README quotes defaults as "10,000 (`MAX_TOKENS`)" or
// "10/min (`SIGNIN_PER_MINUTE`)" (the limits table): those must agree too.
func TestREADMEQuotedDefaults(t *testing.T) {
	readme, err := os.ReadFile(readmePath)
	if err != nil {
		t.Fatalf("read README: %v", err)
	}
	defs := map[string]string{}
	for _, s := range settings(&config{}) {
		defs[s.name] = s.def
	}
	quoted := regexp.MustCompile("([0-9][0-9,]*)(?:/min)? \\(`([A-Z_]+)`\\)")
	found := 0
	for _, m := range quoted.FindAllStringSubmatch(string(readme), -1) {
		got, name := strings.ReplaceAll(m[1], ",", ""), m[2]
		def, ok := defs[name]
		if !ok {
			t.Errorf("README quotes %q for %s, which no setting declares", m[0], name)
			continue
		}
		found++
		if got != def {
			t.Errorf("README quotes %q: got default %s, want %s, as in config.go", m[0], got, def)
		}
	}
	if found == 0 {
		t.Errorf("README: got no quoted defaults like 10,000 (`MAX_TOKENS`), want the limits table's")
	}
}

// The table's own invariants: what makes its rows and error messages right.
func TestSettingsTable(t *testing.T) {
	seen := map[string]bool{}
	for _, s := range settings(&config{}) {
		if seen[s.name] {
			t.Errorf("%s: declared twice, want once", s.name)
		}
		seen[s.name] = true
		if s.doc == "" || strings.Contains(s.doc+s.docDefault, "|") {
			t.Errorf("%s: meaning %q, want one without |, for the README's table", s.name, s.doc)
		}
		if s.defFrom != nil && s.docDefault == "" {
			t.Errorf("%s: computed default without docDefault: the README would show none", s.name)
		}
		if s.testOnly != (s.parse == nil) {
			t.Errorf("%s: testOnly %v with parser %v, want a parser exactly on what the server reads", s.name, s.testOnly, s.parse != nil)
		}
	}
}

// Every setting the table declares for the server is read, once, and
// nothing else is: a documented variable is a read one.
func TestLoadConfigReadsTheTable(t *testing.T) {
	var got []string
	if _, err := loadConfig(func(name string) string { got = append(got, name); return "" }); err != nil {
		t.Fatalf("loadConfig with nothing set: got error %v, want nil", err)
	}
	var want []string
	for _, s := range settings(&config{}) {
		if !s.testOnly {
			want = append(want, s.name)
		}
	}
	if !slices.Equal(got, want) {
		t.Errorf("variables read: got %v, want %v", got, want)
	}
}

// The test-only rows document what the tests really fall back to.
func TestTestOnlyDefaults(t *testing.T) {
	defs := map[string]string{}
	for _, s := range settings(&config{}) {
		if s.testOnly {
			defs[s.name] = s.def
		}
	}
	if got, want := defs["TEST_DATABASE_URL"], storetest.DefaultAdminURL; got != want {
		t.Errorf("TEST_DATABASE_URL's documented default: got %q, want storetest's %q", got, want)
	}
	t.Setenv("TEST_REDIS_URL", "")
	if got, want := defs["TEST_REDIS_URL"], testRedisURL(t); got != want {
		t.Errorf("TEST_REDIS_URL's documented default: got %q, want the tests' %q", got, want)
	}
}

func TestLoadConfigTable(t *testing.T) {
	// Free text: any value is accepted.
	anyValue := map[string]bool{"ADDR": true, "DATA_DIR": true}
	t.Run("EveryCheckedSettingRejectsGarbage", func(t *testing.T) {
		for _, s := range settings(&config{}) {
			if s.testOnly || anyValue[s.name] {
				continue
			}
			_, err := loadConfig(env(map[string]string{s.name: "%garbage"}))
			if err == nil {
				t.Errorf("%s=%%garbage: got nil error, want one naming %s", s.name, s.name)
				continue
			}
			// One line of heading, one naming the variable: a bad value
			// must not cascade into errors about others.
			if lines := strings.Split(err.Error(), "\n"); len(lines) != 2 || !strings.HasPrefix(strings.TrimSpace(lines[1]), s.name+": ") {
				t.Errorf("%s=%%garbage: got error %q, want exactly one line, naming %s", s.name, err, s.name)
			}
		}
	})

	t.Run("ErrRateCapacityBelowMaxCost", func(t *testing.T) {
		_, err := loadConfig(env(map[string]string{"MAX_COST": "500", "RATE_LIMIT_CAPACITY": "499"}))
		if err == nil || !strings.Contains(err.Error(), "RATE_LIMIT_CAPACITY: must be at least MAX_COST (500)") {
			t.Errorf("RATE_LIMIT_CAPACITY below MAX_COST: got error %v, want one naming RATE_LIMIT_CAPACITY and MAX_COST", err)
		}
	})

	t.Run("CrossChecksReportedWithParseErrors", func(t *testing.T) {
		_, err := loadConfig(env(map[string]string{"APP_ENV": "production", "LOG_FORMAT": "xml"}))
		if err == nil || !strings.Contains(err.Error(), "JWT_SECRET") || !strings.Contains(err.Error(), "LOG_FORMAT") {
			t.Errorf("production without JWT_SECRET and a bad LOG_FORMAT: got error %v, want one naming both", err)
		}
	})

	tests := []struct {
		name string
		vars map[string]string
		want func(c *config)
	}{
		{name: "TrimsSpace", vars: map[string]string{"DB_MAX_CONNS": " 20 ", "LOG_FORMAT": "\ttext\n"},
			want: func(c *config) { c.DBMaxConns, c.LogFormat = 20, "text" }},
		{name: "AutoSeedOverridesTheDevelopmentDefault", vars: map[string]string{"AUTO_SEED": "false"},
			want: func(c *config) { c.AutoSeed = false }},
		{name: "MaxInFlightZeroIsNoCap", vars: map[string]string{"MAX_IN_FLIGHT": "0"},
			want: func(c *config) { c.MaxInFlight = 0 }},
		{name: "TokenTTLUpperBound", vars: map[string]string{"TOKEN_TTL": "720h"},
			want: func(c *config) { c.TokenTTL = 720 * time.Hour }},
		{name: "PostgresqlScheme", vars: map[string]string{"DATABASE_URL": "postgresql://db/shop"},
			want: func(c *config) { c.DatabaseURL = "postgresql://db/shop" }},
		{name: "CORSOriginsList", vars: map[string]string{"CORS_ALLOWED_ORIGINS": "https://shop.example, ,http://localhost:3000"},
			want: func(c *config) { c.CORSOrigins = []string{"https://shop.example", "http://localhost:3000"} }},
		{name: "RedisURL", vars: map[string]string{"REDIS_URL": "rediss://cache:6380/1"},
			want: func(c *config) { c.RedisURL = "rediss://cache:6380/1" }},
		{name: "Secret", vars: map[string]string{"JWT_SECRET": testSecret},
			want: func(c *config) { c.JWTSecret = []byte(testSecret) }},
		{name: "Rates", vars: map[string]string{"RATE_LIMIT_PER_SECOND": "0.5", "SIGNIN_PER_MINUTE": "3"},
			want: func(c *config) { c.RatePerSecond, c.SignInPerMinute = 0.5, 3 }},
		{name: "TrustedProxies", vars: map[string]string{"TRUSTED_PROXIES": "10.0.0.0/8, 192.0.2.7 ,,2001:db8::/32,::1"},
			want: func(c *config) {
				for _, p := range []string{"10.0.0.0/8", "192.0.2.7/32", "2001:db8::/32", "::1/128"} {
					c.TrustedProxies = append(c.TrustedProxies, netip.MustParsePrefix(p))
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := loadConfig(env(nil))
			if err != nil {
				t.Fatalf("loadConfig with nothing set: got error %v, want nil", err)
			}
			tt.want(&want)
			got, err := loadConfig(env(tt.vars))
			if err != nil {
				t.Fatalf("loadConfig with %v: got error %v, want nil", tt.vars, err)
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("loadConfig with %v: got %+v, want %+v", tt.vars, got, want)
			}
		})
	}
	t.Run("ErrTrustedProxyNamed", func(t *testing.T) {
		for _, value := range []string{"10.0.0.0/8, proxy.internal", "10.0.0.0/33", "fe80::1%eth0"} {
			_, err := loadConfig(env(map[string]string{"TRUSTED_PROXIES": value}))
			bad := strings.TrimSpace(value[strings.LastIndexByte(value, ',')+1:])
			if err == nil || !strings.Contains(err.Error(), "TRUSTED_PROXIES: ") || !strings.Contains(err.Error(), bad) {
				t.Errorf("TRUSTED_PROXIES=%s: got error %v, want one naming TRUSTED_PROXIES and %q", value, err, bad)
			}
		}
	})

	t.Run("RejectsOutOfBounds", func(t *testing.T) {
		for name, value := range map[string]string{"TOKEN_TTL": "721h", "DB_MAX_CONNS": "1001", "MAX_IN_FLIGHT": "-1", "MAX_COST": "0"} {
			if _, err := loadConfig(env(map[string]string{name: value})); err == nil || !strings.Contains(err.Error(), name+": ") {
				t.Errorf("%s=%s: got error %v, want one naming %s", name, value, err, name)
			}
		}
	})
}
