// Command diff writes a new versioned migration for each dialect when the ent
// schema has changed, or, with -check, fails if it would have to (CI uses it
// to prove the committed migrations match the schema).
//
//	go run ./ent/dbschema/diff -name add_widgets   # write new files
//	go run ./ent/dbschema/diff -check              # exit 1 on drift
//
// PostgreSQL needs a server to replay the migrations into: -admin-url (or
// DIFF_ADMIN_URL) names a database from which a throwaway one is created and
// dropped. SQLite replays into an in-memory database.
package main

import (
	"context"
	"database/sql"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	atlas "ariga.io/atlas/sql/migrate"
	"ariga.io/atlas/sql/sqltool"
	"entgo.io/ent/dialect"
	entsql "entgo.io/ent/dialect/sql"
	"entgo.io/ent/dialect/sql/schema"
	_ "github.com/lib/pq"
	_ "modernc.org/sqlite"

	"github.com/shopgraph/shopgraph/ent/migrate"
)

func main() {
	if err := run(context.Background(), os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "migrations diff:", err)
		os.Exit(1)
	}
}

// extensionsFile is the one hand-written migration: trigram search needs
// pg_trgm before the first index that uses gin_trgm_ops.
const (
	extensionsName = "20260101000000_extensions"
	extensionsUp   = "CREATE EXTENSION IF NOT EXISTS pg_trgm;\n"
	extensionsDown = "DROP EXTENSION IF EXISTS pg_trgm;\n"
)

func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("diff", flag.ContinueOnError)
	name := fs.String("name", "change", "name of the new migration")
	check := fs.Bool("check", false, "fail instead of writing when a migration is missing")
	root := fs.String("dir", "ent/dbschema", "directory holding postgres/ and sqlite/")
	adminURL := fs.String("admin-url", envOr("DIFF_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"), "PostgreSQL URL used to create a throwaway dev database")
	if err := fs.Parse(args); err != nil {
		return err
	}
	var drift []string
	for _, d := range []string{dialect.Postgres, dialect.SQLite} {
		target := filepath.Join(*root, dirFor(d))
		if *check {
			tmp, err := os.MkdirTemp("", "migcheck")
			if err != nil {
				return err
			}
			defer os.RemoveAll(tmp)
			if err := os.CopyFS(tmp, os.DirFS(target)); err != nil {
				return err
			}
			target = tmp
		}
		before, err := sqlFiles(target)
		if err != nil {
			return err
		}
		if err := diff(ctx, d, target, *name, *adminURL); err != nil {
			return fmt.Errorf("%s: %w", d, err)
		}
		after, err := sqlFiles(target)
		if err != nil {
			return err
		}
		if len(after) != len(before) {
			drift = append(drift, d)
			if !*check {
				fmt.Fprintf(stdout, "%s: wrote %s\n", d, strings.Join(after[len(before):], ", "))
			}
		}
	}
	if *check && len(drift) > 0 {
		return fmt.Errorf("the ent schema and the committed migrations disagree for %s: run `go run ./ent/dbschema/diff -name <change>`", strings.Join(drift, ", "))
	}
	if len(drift) == 0 {
		fmt.Fprintln(stdout, "migrations are up to date")
	}
	return nil
}

func dirFor(d string) string {
	if d == dialect.Postgres {
		return "postgres"
	}
	return "sqlite"
}

func diff(ctx context.Context, d, path, name, adminURL string) error {
	dir, err := sqltool.NewGolangMigrateDir(path)
	if err != nil {
		return err
	}
	var (
		drv    dialect.Driver
		tables = migrate.Tables
	)
	switch d {
	case dialect.Postgres:
		if err := ensureExtensions(dir); err != nil {
			return err
		}
		dev, cleanup, err := devDatabase(ctx, adminURL)
		if err != nil {
			return err
		}
		defer cleanup()
		drv = entsql.OpenDB(dialect.Postgres, dev)
	case dialect.SQLite:
		db, err := sql.Open("sqlite", "file:migdev?mode=memory&cache=shared&_pragma=foreign_keys(1)")
		if err != nil {
			return err
		}
		db.SetMaxOpenConns(1)
		defer db.Close()
		drv = entsql.OpenDB(dialect.SQLite, db)
		tables = withoutPostgresOnlyIndexes(tables)
	}
	m, err := schema.NewMigrate(drv,
		schema.WithDir(dir),
		schema.WithMigrationMode(schema.ModeReplay),
		schema.WithDialect(d),
		schema.WithFormatter(sqltool.GolangMigrateFormatter),
		schema.WithDropColumn(true),
		schema.WithDropIndex(true),
	)
	if err != nil {
		return err
	}
	err = m.NamedDiff(ctx, name, tables...)
	if errors.Is(err, atlas.ErrNoPlan) {
		return nil
	}
	return err
}

// ensureExtensions writes the hand-written extensions migration into an
// empty PostgreSQL directory and re-hashes atlas.sum.
func ensureExtensions(dir *sqltool.GolangMigrateDir) error {
	files, err := dir.Files()
	if err != nil {
		return err
	}
	if len(files) > 0 {
		return nil
	}
	if err := dir.WriteFile(extensionsName+".up.sql", []byte(extensionsUp)); err != nil {
		return err
	}
	if err := dir.WriteFile(extensionsName+".down.sql", []byte(extensionsDown)); err != nil {
		return err
	}
	sum, err := dir.Checksum()
	if err != nil {
		return err
	}
	return atlas.WriteSumFile(dir, sum)
}

// withoutPostgresOnlyIndexes drops the trigram indexes, which only mean
// something to PostgreSQL, from a copy of the tables.
func withoutPostgresOnlyIndexes(tables []*schema.Table) []*schema.Table {
	out := make([]*schema.Table, len(tables))
	for i, t := range tables {
		c := *t
		c.Indexes = nil
		for _, idx := range t.Indexes {
			if !strings.HasSuffix(idx.Name, "_trgm") {
				c.Indexes = append(c.Indexes, idx)
			}
		}
		out[i] = &c
	}
	return out
}

// devDatabase creates an empty database to replay migrations into.
func devDatabase(ctx context.Context, adminURL string) (*sql.DB, func(), error) {
	admin, err := sql.Open("postgres", adminURL)
	if err != nil {
		return nil, nil, err
	}
	name := fmt.Sprintf("shopgraph_migdev_%d_%d", os.Getpid(), time.Now().UnixNano())
	if _, err := admin.ExecContext(ctx, "CREATE DATABASE "+name); err != nil {
		admin.Close()
		return nil, nil, fmt.Errorf("create dev database: %w", err)
	}
	devURL, err := replaceDatabase(adminURL, name)
	if err != nil {
		admin.Close()
		return nil, nil, err
	}
	dev, err := sql.Open("postgres", devURL)
	if err != nil {
		admin.Close()
		return nil, nil, err
	}
	cleanup := func() {
		dev.Close()
		admin.ExecContext(context.Background(), "DROP DATABASE IF EXISTS "+name+" WITH (FORCE)")
		admin.Close()
	}
	return dev, cleanup, nil
}

func replaceDatabase(rawURL, name string) (string, error) {
	i := strings.Index(rawURL, "://")
	if i < 0 {
		return "", fmt.Errorf("admin url %q is not a URL", rawURL)
	}
	rest := rawURL[i+3:]
	slash := strings.Index(rest, "/")
	query := ""
	if q := strings.Index(rest, "?"); q >= 0 {
		query = rest[q:]
		rest = rest[:q]
	}
	if slash >= 0 {
		rest = rest[:slash]
	}
	return rawURL[:i+3] + rest + "/" + name + query, nil
}

func envOr(key, fallback string) string {
	if v := os.Getenv(key); v != "" {
		return v
	}
	return fallback
}

func sqlFiles(path string) ([]string, error) {
	entries, err := os.ReadDir(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	var out []string
	for _, e := range entries {
		if strings.HasSuffix(e.Name(), ".sql") {
			out = append(out, e.Name())
		}
	}
	return out, nil
}
