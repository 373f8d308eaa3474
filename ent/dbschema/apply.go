package dbschema

import (
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"

	"entgo.io/ent/dialect"
	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	"github.com/golang-migrate/migrate/v4/database/postgres"
	"github.com/golang-migrate/migrate/v4/database/sqlite"
	"github.com/golang-migrate/migrate/v4/source/iofs"
)

//go:embed postgres/*.sql sqlite/*.sql
var files embed.FS

// Dir returns the migration files for an ent dialect name.
func Dir(dialectName string) (fs.FS, error) {
	sub, err := dirName(dialectName)
	if err != nil {
		return nil, err
	}
	return fs.Sub(files, sub)
}

func dirName(dialectName string) (string, error) {
	switch dialectName {
	case dialect.Postgres:
		return "postgres", nil
	case dialect.SQLite:
		return "sqlite", nil
	default:
		return "", fmt.Errorf("no migrations for dialect %q", dialectName)
	}
}

// Apply brings the database up to the newest migration and reports the
// version it ends at. db must be a connection pool the caller does not need
// afterwards: golang-migrate closes it.
func Apply(db *sql.DB, dialectName string) (uint, error) {
	sub, err := dirName(dialectName)
	if err != nil {
		return 0, err
	}
	src, err := iofs.New(files, sub)
	if err != nil {
		return 0, fmt.Errorf("read %s migrations: %w", sub, err)
	}
	var drv database.Driver
	switch dialectName {
	case dialect.Postgres:
		drv, err = postgres.WithInstance(db, &postgres.Config{})
	case dialect.SQLite:
		drv, err = sqlite.WithInstance(db, &sqlite.Config{})
	}
	if err != nil {
		return 0, fmt.Errorf("open %s migration driver: %w", sub, err)
	}
	m, err := migrate.NewWithInstance("iofs", src, sub, drv)
	if err != nil {
		return 0, fmt.Errorf("prepare migrations: %w", err)
	}
	defer m.Close()
	if err := m.Up(); err != nil && !errors.Is(err, migrate.ErrNoChange) {
		return 0, fmt.Errorf("apply migrations: %w", err)
	}
	version, dirty, err := m.Version()
	if err != nil {
		return 0, fmt.Errorf("read migration version: %w", err)
	}
	if dirty {
		return version, fmt.Errorf("migration %d is dirty: fix it by hand, then force the version", version)
	}
	return version, nil
}
