package main

import (
	"fmt"
	"log/slog"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"
)

// config is everything the server reads from its environment, read in one
// place (loadConfig) so a bad value stops start-up with a message naming it.
type config struct {
	Env             string // development or production
	Addr            string
	DatabaseURL     string // empty: embedded SQLite in DataDir
	DataDir         string
	DBMaxConns      int
	LogLevel        slog.Level
	LogFormat       string // json or text
	Currency        string
	AutoSeed        bool // seed demo data into an empty database at start
	ShutdownTimeout time.Duration
	JWTSecret       []byte // empty in development: a random key per process
	TokenTTL        time.Duration

	MaxCost, MaxDepth, MaxAliases, MaxFields, MaxTokens int
	MaxBodyBytes                                        int64
	MaxInFlight                                         int
	RequestTimeout, ReadHeaderTimeout                   time.Duration
	RateCapacity, RatePerSecond                         float64
	SignInPerMinute, CheckoutPerMinute                  float64
	RedisURL                                            string
	CORSOrigins                                         []string
}

// sqlitePath is the embedded database file.
func (c config) sqlitePath() string { return filepath.Join(c.DataDir, "shopgraph.db") }

func (c config) production() bool { return c.Env == "production" }

func loadConfig(getenv func(string) string) (config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	c := config{
		Env:         get("APP_ENV", "development"),
		Addr:        get("ADDR", ":8080"),
		DatabaseURL: get("DATABASE_URL", ""),
		DataDir:     get("DATA_DIR", "./data"),
		LogFormat:   get("LOG_FORMAT", "json"),
		Currency:    get("CURRENCY", "USD"),
	}
	var errs []string
	bad := func(name, format string, args ...any) {
		errs = append(errs, fmt.Sprintf("%s: %s", name, fmt.Sprintf(format, args...)))
	}
	if c.Env != "development" && c.Env != "production" {
		bad("APP_ENV", "must be development or production, got %q", c.Env)
	}
	if c.DatabaseURL != "" && !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		bad("DATABASE_URL", "must be a postgres:// URL")
	}
	if c.LogFormat != "json" && c.LogFormat != "text" {
		bad("LOG_FORMAT", "must be json or text, got %q", c.LogFormat)
	}
	if len(c.Currency) != 3 || strings.ToUpper(c.Currency) != c.Currency {
		bad("CURRENCY", "must be a 3-letter ISO 4217 code, got %q", c.Currency)
	}
	var err error
	if c.DBMaxConns, err = strconv.Atoi(get("DB_MAX_CONNS", "10")); err != nil || c.DBMaxConns < 1 || c.DBMaxConns > 1000 {
		bad("DB_MAX_CONNS", "must be an integer from 1 to 1000")
	}
	if err := c.LogLevel.UnmarshalText([]byte(get("LOG_LEVEL", "info"))); err != nil {
		bad("LOG_LEVEL", "must be debug, info, warn or error")
	}
	if c.AutoSeed, err = strconv.ParseBool(get("AUTO_SEED", strconv.FormatBool(c.Env == "development"))); err != nil {
		bad("AUTO_SEED", "must be true or false")
	}
	if c.ShutdownTimeout, err = time.ParseDuration(get("SHUTDOWN_TIMEOUT", "15s")); err != nil || c.ShutdownTimeout <= 0 {
		bad("SHUTDOWN_TIMEOUT", "must be a positive duration such as 15s")
	}
	c.JWTSecret = []byte(get("JWT_SECRET", ""))
	switch {
	case len(c.JWTSecret) == 0 && c.production():
		bad("JWT_SECRET", "is required with APP_ENV=production")
	case len(c.JWTSecret) > 0 && len(c.JWTSecret) < 32:
		bad("JWT_SECRET", "must be at least 32 bytes")
	}
	if c.TokenTTL, err = time.ParseDuration(get("TOKEN_TTL", "1h")); err != nil || c.TokenTTL < time.Minute || c.TokenTTL > 30*24*time.Hour {
		bad("TOKEN_TTL", "must be a duration between 1m and 720h, such as 1h")
	}
	posInt := func(name, def string) int {
		n, err := strconv.Atoi(get(name, def))
		if err != nil || n < 1 {
			bad(name, "must be a positive integer")
		}
		return n
	}
	posFloat := func(name, def string) float64 {
		f, err := strconv.ParseFloat(get(name, def), 64)
		if err != nil || f <= 0 {
			bad(name, "must be a positive number")
		}
		return f
	}
	duration := func(name, def string) time.Duration {
		d, err := time.ParseDuration(get(name, def))
		if err != nil || d <= 0 {
			bad(name, "must be a positive duration such as %s", def)
		}
		return d
	}
	c.MaxCost = posInt("MAX_COST", "20000")
	c.MaxDepth = posInt("MAX_DEPTH", "15")
	c.MaxAliases = posInt("MAX_ALIASES", "50")
	c.MaxFields = posInt("MAX_FIELDS", "1000")
	c.MaxTokens = posInt("MAX_TOKENS", "10000")
	c.MaxBodyBytes = int64(posInt("MAX_BODY_BYTES", "1048576"))
	// Requests executing at once, per instance: 0 is no cap. The default
	// follows the cores (see graph.Options.MaxInFlight).
	if c.MaxInFlight, err = strconv.Atoi(get("MAX_IN_FLIGHT", strconv.Itoa(8*runtime.GOMAXPROCS(0)))); err != nil || c.MaxInFlight < 0 {
		bad("MAX_IN_FLIGHT", "must be a non-negative integer (0: no cap)")
	}
	c.RequestTimeout = duration("REQUEST_TIMEOUT", "15s")
	c.ReadHeaderTimeout = duration("READ_HEADER_TIMEOUT", "5s")
	c.RateCapacity = posFloat("RATE_LIMIT_CAPACITY", "60000")
	c.RatePerSecond = posFloat("RATE_LIMIT_PER_SECOND", "2000")
	c.SignInPerMinute = posFloat("SIGNIN_PER_MINUTE", "10")
	c.CheckoutPerMinute = posFloat("CHECKOUT_PER_MINUTE", "30")
	if c.RateCapacity < float64(c.MaxCost) {
		bad("RATE_LIMIT_CAPACITY", "must be at least MAX_COST (%d), or the largest allowed query could never run", c.MaxCost)
	}
	c.RedisURL = get("REDIS_URL", "")
	if c.RedisURL != "" && !strings.HasPrefix(c.RedisURL, "redis://") && !strings.HasPrefix(c.RedisURL, "rediss://") {
		bad("REDIS_URL", "must be a redis:// or rediss:// URL")
	}
	for _, o := range strings.Split(get("CORS_ALLOWED_ORIGINS", ""), ",") {
		if o = strings.TrimSpace(o); o != "" {
			if o != "*" && !strings.HasPrefix(o, "https://") && !strings.HasPrefix(o, "http://") {
				bad("CORS_ALLOWED_ORIGINS", "%q is not an origin like https://shop.example", o)
			}
			c.CORSOrigins = append(c.CORSOrigins, o)
		}
	}
	if len(errs) > 0 {
		return config{}, fmt.Errorf("invalid configuration:\n  %s", strings.Join(errs, "\n  "))
	}
	return c, nil
}
