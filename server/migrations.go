package main

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/shopgraph/shopgraph/ent/store"
)

// migrateStatus prints where the schema stands; a dirty database is an
// error (it needs a hand), one behind or ahead of this binary is not.
func migrateStatus(ctx context.Context, st *store.Store, stdout io.Writer) error {
	s, err := st.MigrationStatus(ctx)
	if err != nil {
		return fmt.Errorf("migrate status: %w", err)
	}
	fmt.Fprintf(stdout, "dialect: %s\n", st.Dialect)
	if s.Version == 0 {
		fmt.Fprintln(stdout, "schema version: none (no migration applied)")
	} else {
		fmt.Fprintf(stdout, "schema version: %d\n", s.Version)
	}
	fmt.Fprintf(stdout, "latest in this binary: %d\n", s.Latest)
	switch {
	case s.Dirty:
		fmt.Fprintln(stdout, "status: dirty")
		return fmt.Errorf("migrate status: migration %d is dirty (it failed halfway): fix it by hand, then force the version", s.Version)
	case !s.Known:
		fmt.Fprintln(stdout, "status: ahead of this binary (migrated by a newer one)")
	case s.UpToDate():
		fmt.Fprintln(stdout, "status: up to date")
	default:
		pending := make([]string, len(s.Pending))
		for i, v := range s.Pending {
			pending[i] = fmt.Sprint(v)
		}
		fmt.Fprintf(stdout, "status: %d pending (%s); \"shopgraph migrate\" applies them\n", len(s.Pending), strings.Join(pending, ", "))
	}
	return nil
}

// migrateDown reverts the newest n migrations.
func migrateDown(ctx context.Context, st *store.Store, n int, stdout io.Writer) error {
	v, err := st.MigrateDown(ctx, n)
	if err != nil {
		return fmt.Errorf("migrate down: %w", err)
	}
	if v == 0 {
		fmt.Fprintf(stdout, "reverted %d migrations: schema version none (no migration applied)\n", n)
	} else {
		fmt.Fprintf(stdout, "reverted %d migrations: schema version %d\n", n, v)
	}
	return nil
}
