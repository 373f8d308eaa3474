package main

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	_ "github.com/lib/pq" // registers "postgres" for the monitor and the plain handler
)

// The server's role and database in the private cluster. The benchmark's
// own queries run as the superuser in the postgres database, so filtering
// statements and backends by this role and database leaves them out.
const (
	appRole = "shopgraph"
	appDB   = "shopgraph"
)

// clusterConf is appended to postgresql.conf. pg_stat_statements counts
// every statement (track=all: nested ones too; utility ones such as BEGIN
// are round trips as well). fsync and friends are off because the data is a
// disposable, recreatable benchmark set: seeding is faster, and the read-only
// scenarios do not depend on them.
const clusterConf = `
# shopgraph bench
listen_addresses = '127.0.0.1'
unix_socket_directories = ''
max_connections = 100
shared_preload_libraries = 'pg_stat_statements'
pg_stat_statements.track = all
pg_stat_statements.track_utility = on
pg_stat_statements.max = 10000
fsync = off
synchronous_commit = off
full_page_writes = off
logging_collector = off
`

// cluster is a private PostgreSQL 15 cluster: its own data folder and port,
// so its processes and statements are the benchmark's alone.
type cluster struct {
	bin     string // folder of initdb, pg_ctl
	dir     string // data folder
	logFile string
	port    int
	runAs   *user.User // nil: run the binaries as ourselves
	monitor *sql.DB    // superuser connection to the postgres database
	appUser string     // the server role's OID, for pg_stat_statements
	appDB   string     // the server database's OID
}

// dataKey names a seeded data set: the scale and a hash of everything that
// decides its contents (the PostgreSQL migrations and the seed package of
// the source tree), so an older checkout never reuses, or migrates, a
// cluster seeded by a newer one.
func dataKey(src string, scale int) (string, error) {
	h := sha256.New()
	for _, dir := range []string{"ent/dbschema/postgres", "ent/seed"} {
		root := filepath.Join(src, dir)
		err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || strings.HasSuffix(path, "_test.go") {
				return err
			}
			b, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			rel, _ := filepath.Rel(src, path)
			fmt.Fprintf(h, "%s %d\n", rel, len(b))
			h.Write(b)
			return nil
		})
		if err != nil {
			return "", fmt.Errorf("hash %s: %w", dir, err)
		}
	}
	return fmt.Sprintf("pg15-scale%d-%s", scale, hex.EncodeToString(h.Sum(nil))[:12]), nil
}

// openCluster starts the cached cluster for (src, scale), creating and
// seeding it with serverBin first if there is none or rebuild is set.
func openCluster(ctx context.Context, o options, serverBin string, log io.Writer) (*cluster, error) {
	key, err := dataKey(o.src, o.scale)
	if err != nil {
		return nil, err
	}
	c := &cluster{bin: o.pgBin, dir: filepath.Join(o.cacheDir, key)}
	c.logFile = c.dir + ".log"
	if os.Geteuid() == 0 {
		// initdb refuses root; the folder then belongs to postgres.
		if c.runAs, err = user.Lookup("postgres"); err != nil {
			return nil, fmt.Errorf("running as root needs a postgres user for initdb: %w", err)
		}
	}
	if err := os.MkdirAll(o.cacheDir, 0o755); err != nil {
		return nil, err
	}
	seeded := c.dir + ".seeded"
	if o.rebuild {
		os.Remove(seeded)
	}
	if _, err := os.Stat(seeded); err == nil {
		fmt.Fprintf(log, "bench: using cached cluster %s (-rebuild to recreate)\n", c.dir)
		if err := c.start(ctx); err != nil {
			return nil, err
		}
		return c, c.connect(ctx)
	}
	fmt.Fprintf(log, "bench: creating cluster %s\n", c.dir)
	if err := c.create(ctx); err != nil {
		return nil, err
	}
	if err := c.start(ctx); err != nil {
		return nil, err
	}
	if err := c.connect(ctx); err != nil {
		c.stop()
		return nil, err
	}
	if err := c.seed(ctx, serverBin, o.scale, log); err != nil {
		c.stop()
		return nil, err
	}
	if err := os.WriteFile(seeded, []byte(time.Now().UTC().Format(time.RFC3339)+"\n"), 0o644); err != nil {
		c.stop()
		return nil, err
	}
	return c, nil
}

// command runs a PostgreSQL binary, as the postgres user when we are root.
func (c *cluster) command(ctx context.Context, name string, args ...string) *exec.Cmd {
	path := filepath.Join(c.bin, name)
	if c.runAs != nil {
		return exec.CommandContext(ctx, "runuser", append([]string{"-u", c.runAs.Username, "--", path}, args...)...)
	}
	return exec.CommandContext(ctx, path, args...)
}

func runCmd(cmd *exec.Cmd) error {
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s: %w\n%s", strings.Join(cmd.Args, " "), err, out)
	}
	return nil
}

func (c *cluster) create(ctx context.Context) error {
	os.RemoveAll(c.dir)
	os.Remove(c.logFile)
	if err := os.Mkdir(c.dir, 0o700); err != nil {
		return err
	}
	if c.runAs != nil {
		uid, _ := strconv.Atoi(c.runAs.Uid)
		gid, _ := strconv.Atoi(c.runAs.Gid)
		for _, p := range []string{c.dir} {
			if err := os.Chown(p, uid, gid); err != nil {
				return err
			}
		}
		// The log file is opened by pg_ctl as postgres.
		f, err := os.Create(c.logFile)
		if err != nil {
			return err
		}
		f.Close()
		if err := os.Chown(c.logFile, uid, gid); err != nil {
			return err
		}
	}
	if err := runCmd(c.command(ctx, "initdb", "-D", c.dir, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")); err != nil {
		return err
	}
	f, err := os.OpenFile(filepath.Join(c.dir, "postgresql.conf"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	_, err = f.WriteString(clusterConf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// freePort asks the kernel for an unused TCP port on the loopback.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

func (c *cluster) start(ctx context.Context) error {
	port, err := freePort()
	if err != nil {
		return err
	}
	c.port = port
	return runCmd(c.command(ctx, "pg_ctl", "-D", c.dir, "-l", c.logFile, "-w", "-t", "60",
		"-o", "-p "+strconv.Itoa(port), "start"))
}

// stop shuts the cluster down; it is safe to call on a cluster that did not
// start.
func (c *cluster) stop() error {
	if c.monitor != nil {
		c.monitor.Close()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	return runCmd(c.command(ctx, "pg_ctl", "-D", c.dir, "-m", "fast", "-w", "stop"))
}

// postmasterPID is the first line of postmaster.pid.
func (c *cluster) postmasterPID() (int, error) {
	b, err := os.ReadFile(filepath.Join(c.dir, "postmaster.pid"))
	if err != nil {
		return 0, err
	}
	first, _, _ := strings.Cut(string(b), "\n")
	return strconv.Atoi(strings.TrimSpace(first))
}

func (c *cluster) url(role, db string) string {
	return fmt.Sprintf("postgres://%s@127.0.0.1:%d/%s?sslmode=disable", role, c.port, db)
}

// appURL is the DATABASE_URL the server and the plain handler get.
func (c *cluster) appURL() string { return c.url(appRole, appDB) }

// connect opens the monitor connection and makes sure the extension, the
// role and the database exist.
func (c *cluster) connect(ctx context.Context) error {
	db, err := sql.Open("postgres", c.url("postgres", "postgres"))
	if err != nil {
		return err
	}
	db.SetMaxOpenConns(1) // one backend, which stays: its CPU is easy to leave out
	c.monitor = db
	if _, err := db.ExecContext(ctx, "CREATE EXTENSION IF NOT EXISTS pg_stat_statements"); err != nil {
		return fmt.Errorf("create pg_stat_statements: %w", err)
	}
	var exists bool
	if err := db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1)", appRole).Scan(&exists); err != nil {
		return err
	}
	if !exists {
		for _, q := range []string{
			"CREATE ROLE " + appRole + " LOGIN",
			"CREATE DATABASE " + appDB + " OWNER " + appRole,
		} {
			if _, err := db.ExecContext(ctx, q); err != nil {
				return fmt.Errorf("%s: %w", q, err)
			}
		}
	}
	err = db.QueryRowContext(ctx,
		"SELECT (SELECT oid::text FROM pg_roles WHERE rolname = $1), (SELECT oid::text FROM pg_database WHERE datname = $2)",
		appRole, appDB).Scan(&c.appUser, &c.appDB)
	if err != nil {
		return fmt.Errorf("look up the server's role and database: %w", err)
	}
	return nil
}

// seed runs "<server> seed --scale N" against the app database. Seeding is
// refused in production, so it runs with APP_ENV=development.
func (c *cluster) seed(ctx context.Context, serverBin string, scale int, log io.Writer) error {
	fmt.Fprintf(log, "bench: seeding --scale %d (once per data key)\n", scale)
	cmd := exec.CommandContext(ctx, serverBin, "seed", "--scale", strconv.Itoa(scale))
	cmd.Env = []string{
		"APP_ENV=development",
		"DATABASE_URL=" + c.appURL(),
		"LOG_FORMAT=text",
		"LOG_LEVEL=warn",
		"PATH=" + os.Getenv("PATH"),
	}
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("seed: %w", err)
	}
	// Fresh statistics and a vacuumed heap, as a long-running store has.
	_, err := c.monitorOn(ctx, appDB, "VACUUM ANALYZE")
	return err
}

// monitorOn runs one statement as the superuser in database db.
func (c *cluster) monitorOn(ctx context.Context, db, query string) (int64, error) {
	conn, err := sql.Open("postgres", c.url("postgres", db))
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	res, err := conn.ExecContext(ctx, query)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", query, err)
	}
	n, _ := res.RowsAffected()
	return n, nil
}

// resetStatements empties pg_stat_statements.
func (c *cluster) resetStatements(ctx context.Context) error {
	_, err := c.monitor.ExecContext(ctx, "SELECT pg_stat_statements_reset()")
	return err
}

// statementCalls is the number of statements the app role ran in the app
// database since the last reset.
func (c *cluster) statementCalls(ctx context.Context) (int64, error) {
	var n int64
	err := c.monitor.QueryRowContext(ctx,
		"SELECT coalesce(sum(calls), 0)::bigint FROM pg_stat_statements WHERE userid = $1::oid AND dbid = $2::oid",
		c.appUser, c.appDB).Scan(&n)
	return n, err
}

// statementText is one normalised statement and its calls since the reset.
type statementText struct {
	Calls int64  `json:"calls"`
	Query string `json:"query"`
}

// statements lists the app role's statements since the last reset, most
// called first.
func (c *cluster) statements(ctx context.Context) ([]statementText, error) {
	rows, err := c.monitor.QueryContext(ctx,
		"SELECT calls, query FROM pg_stat_statements WHERE userid = $1::oid AND dbid = $2::oid ORDER BY calls DESC, query",
		c.appUser, c.appDB)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []statementText
	for rows.Next() {
		var s statementText
		if err := rows.Scan(&s.Calls, &s.Query); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

// pgCPU is a reading of the cluster's CPU, in clock ticks.
type pgCPU struct {
	// App is the CPU of the live backends of the app role and database.
	App map[int]uint64
	// Reaped is what the postmaster has collected from exited children
	// (backends of any database, and short-lived workers).
	Reaped uint64
	// Other is the CPU of every other live child: the benchmark's monitor
	// backend and the background processes.
	Other uint64
}

// isAppBackend tells a backend of the app role and database by its process
// title, "postgres: shopgraph shopgraph 127.0.0.1(40000) idle".
func isAppBackend(cmdline string) bool {
	f := strings.Fields(cmdline)
	return len(f) >= 3 && f[0] == "postgres:" && f[1] == appRole && f[2] == appDB
}

func (c *cluster) readCPU() (pgCPU, error) {
	pm, err := c.postmasterPID()
	if err != nil {
		return pgCPU{}, err
	}
	st, err := readStat(pm)
	if err != nil {
		return pgCPU{}, err
	}
	kids, err := childrenOf(pm)
	if err != nil {
		return pgCPU{}, err
	}
	r := pgCPU{App: map[int]uint64{}, Reaped: st.childTicks()}
	for pid, e := range kids {
		if isAppBackend(e.Cmdline) {
			r.App[pid] = e.Stat.cpuTicks()
		} else {
			r.Other += e.Stat.cpuTicks()
		}
	}
	return r, nil
}

// pgCPUDelta is the app's share of the cluster's CPU between two readings:
// the growth of the app backends (a backend new since the first reading
// counts from zero), plus whatever exited children took, which in this
// private cluster is app backends that the pool closed. exited counts the
// app backends that disappeared between the readings: their CPU since the
// first reading is in the reaped part.
func pgCPUDelta(before, after pgCPU) (ticks uint64, exited int) {
	for pid, t := range after.App {
		if b := before.App[pid]; t >= b {
			ticks += t - b
		}
	}
	var reaped uint64
	if after.Reaped >= before.Reaped {
		reaped = after.Reaped - before.Reaped
	}
	for pid, b := range before.App {
		if _, ok := after.App[pid]; !ok {
			exited++
			// The reaped total holds the exited backend's whole life; what
			// it used before the first reading is not this run's.
			reaped -= min(reaped, b)
		}
	}
	return ticks + reaped, exited
}
