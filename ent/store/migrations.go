package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"entgo.io/ent/dialect"
	"github.com/golang-migrate/migrate/v4"
	"github.com/golang-migrate/migrate/v4/database"
	"github.com/golang-migrate/migrate/v4/database/postgres"
	"github.com/golang-migrate/migrate/v4/database/sqlite"
	"github.com/golang-migrate/migrate/v4/source"
	"github.com/golang-migrate/migrate/v4/source/iofs"

	"github.com/shopgraph/shopgraph/ent/dbschema"
)

// The operator's view of the versioned migrations (the server's migrate
// status and migrate down): what Migrate applies, read or reversed. It
// builds its own golang-migrate instance from dbschema's files rather than
// through dbschema.Apply, which only goes up.

// MigrationStatus is where the database's schema stands against the
// migrations built into this binary.
type MigrationStatus struct {
	// Version is the applied migration; 0 when none is.
	Version uint
	// Dirty: the migration at Version failed halfway and must be repaired
	// by hand.
	Dirty bool
	// Known: Version is 0 or one of the built-in migrations. A database
	// migrated by a newer binary is not.
	Known bool
	// Applied counts the built-in migrations up to and including Version.
	Applied int
	// Pending lists the built-in migrations after Version, oldest first.
	Pending []uint
	// Latest is the newest built-in migration.
	Latest uint
}

// UpToDate reports whether Migrate would have nothing to do.
func (m MigrationStatus) UpToDate() bool { return !m.Dirty && m.Known && len(m.Pending) == 0 }

// MigrationStatus reads the applied version and compares it with the
// built-in migrations; it changes no schema (golang-migrate creates its
// empty version table if it is missing).
func (s *Store) MigrationStatus(ctx context.Context) (MigrationStatus, error) {
	m, versions, err := s.migrator(ctx)
	if err != nil {
		return MigrationStatus{}, err
	}
	defer m.Close()
	return status(m, versions)
}

// MigrateDown reverts the newest n applied migrations with their down
// files and returns the version it ends at (0: none left). It refuses,
// changing nothing, when n is not between 1 and the number applied, when
// the database is dirty, or when its version is not one this binary
// knows (it could not run that migration's down file).
func (s *Store) MigrateDown(ctx context.Context, n int) (uint, error) {
	m, versions, err := s.migrator(ctx)
	if err != nil {
		return 0, err
	}
	defer m.Close()
	st, err := status(m, versions)
	if err != nil {
		return 0, err
	}
	switch {
	case st.Dirty:
		return st.Version, fmt.Errorf("migration %d is dirty: fix it by hand, then force the version", st.Version)
	case !st.Known:
		return st.Version, fmt.Errorf("the database is at version %d, which this binary does not have (newest: %d): revert it with the binary that applied it", st.Version, st.Latest)
	case n < 1 || n > st.Applied:
		return st.Version, fmt.Errorf("cannot revert %d migrations: %d are applied", n, st.Applied)
	}
	if err := m.Steps(-n); err != nil {
		return 0, fmt.Errorf("revert migrations: %w", err)
	}
	after, err := status(m, versions)
	if err != nil {
		return 0, err
	}
	return after.Version, nil
}

// migrator returns a golang-migrate instance on a pool of its own (it
// closes the pool it is given) and the built-in versions, oldest first.
func (s *Store) migrator(ctx context.Context) (*migrate.Migrate, []uint, error) {
	fsys, err := dbschema.Dir(s.Dialect)
	if err != nil {
		return nil, nil, err
	}
	src, err := iofs.New(fsys, ".")
	if err != nil {
		return nil, nil, fmt.Errorf("read %s migrations: %w", s.Dialect, err)
	}
	versions, err := sourceVersions(src)
	if err != nil {
		src.Close()
		return nil, nil, err
	}
	driverName := "sqlite"
	if s.Dialect == dialect.Postgres {
		driverName = "postgres"
	}
	db, err := sql.Open(driverName, s.dsn)
	if err != nil {
		src.Close()
		return nil, nil, err
	}
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		src.Close()
		return nil, nil, err
	}
	var drv database.Driver
	if s.Dialect == dialect.Postgres {
		drv, err = postgres.WithInstance(db, &postgres.Config{})
	} else {
		drv, err = sqlite.WithInstance(db, &sqlite.Config{})
	}
	if err != nil {
		db.Close()
		src.Close()
		return nil, nil, fmt.Errorf("open %s migration driver: %w", s.Dialect, err)
	}
	m, err := migrate.NewWithInstance("iofs", src, s.Dialect, drv)
	if err != nil {
		drv.Close()
		src.Close()
		return nil, nil, fmt.Errorf("prepare migrations: %w", err)
	}
	return m, versions, nil
}

// sourceVersions lists a migration source's versions, oldest first.
func sourceVersions(src source.Driver) ([]uint, error) {
	v, err := src.First()
	if err != nil {
		return nil, fmt.Errorf("list migrations: %w", err)
	}
	versions := []uint{v}
	for {
		v, err = src.Next(v)
		if errors.Is(err, os.ErrNotExist) || errors.Is(err, fs.ErrNotExist) {
			return versions, nil
		}
		if err != nil {
			return nil, fmt.Errorf("list migrations: %w", err)
		}
		versions = append(versions, v)
	}
}

func status(m *migrate.Migrate, versions []uint) (MigrationStatus, error) {
	st := MigrationStatus{Latest: versions[len(versions)-1], Known: true}
	v, dirty, err := m.Version()
	switch {
	case errors.Is(err, migrate.ErrNilVersion):
		st.Pending = versions
		return st, nil
	case err != nil:
		return MigrationStatus{}, fmt.Errorf("read migration version: %w", err)
	}
	st.Version, st.Dirty, st.Known = v, dirty, false
	for i, known := range versions {
		if known == v {
			st.Known, st.Applied, st.Pending = true, i+1, versions[i+1:]
		}
	}
	if !st.Known {
		// Ahead of (or beside) this binary: nothing here is pending.
		st.Pending = nil
		for _, known := range versions {
			if known <= v {
				st.Applied++
			}
		}
	}
	return st, nil
}
