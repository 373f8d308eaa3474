package main

import (
	"errors"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"github.com/shopgraph/shopgraph/ent/shop"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/ent/store/storetest"
	"github.com/shopgraph/shopgraph/ent/user"
)

// untouched is an environment a command line that only prints must not
// read or use: an APP_ENV loadConfig refuses and a data folder that must
// not come to exist.
func untouched(t *testing.T) (vars map[string]string, dataDir string) {
	t.Helper()
	dataDir = filepath.Join(t.TempDir(), "data")
	return map[string]string{"DATA_DIR": dataDir, "APP_ENV": "staging"}, dataDir
}

func assertNoDataDir(t *testing.T, dir string) {
	t.Helper()
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("data folder %s: got it created (stat error %v), want it untouched", dir, err)
	}
}

// TestHelp: "help", "help COMMAND", and -h, -help and --help after every
// command print help on stdout and return nil, reading no configuration
// (APP_ENV is invalid) and opening no database (no data folder, and serve
// returns instead of serving).
func TestHelp(t *testing.T) {
	t.Parallel()
	type tc struct {
		name string
		args []string
		want string
	}
	tests := []tc{
		{name: "Help", args: []string{"help"}, want: "Commands:"},
		{name: "H", args: []string{"-h"}, want: "Commands:"},
		{name: "DashHelp", args: []string{"-help"}, want: "Commands:"},
		{name: "DoubleDashHelp", args: []string{"--help"}, want: "Commands:"},
		{name: "UserGroupH", args: []string{"user", "-h"}, want: "shopgraph user create --email"},
		{name: "HelpUserGroup", args: []string{"help", "user"}, want: "shopgraph user create --email"},
		{name: "FlagsBeforeH", args: []string{"user", "create", "--email", "a@b.example", "-h"}, want: "Usage: shopgraph user create"},
		{name: "HAfterArgument", args: []string{"migrate", "down", "2", "--help"}, want: "Usage: shopgraph migrate down"},
	}
	for _, c := range commands {
		if c.group {
			continue
		}
		words := strings.Fields(c.name)
		want := "Usage: shopgraph " + c.name
		name := ""
		for _, w := range words {
			name += upperFirst(w)
		}
		tests = append(tests,
			tc{name: name + "H", args: append(words[:len(words):len(words)], "-h"), want: want},
			tc{name: name + "DoubleDashHelp", args: append(words[:len(words):len(words)], "--help"), want: want},
			tc{name: "Help" + name, args: append([]string{"help"}, words...), want: want},
		)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vars, dir := untouched(t)
			out, errOut, err := runInput(t, vars, "", append([]string{"server"}, tt.args...)...)
			if err != nil {
				t.Fatalf("%v: got error %v, want nil; stderr:\n%s", tt.args, err, errOut)
			}
			if !strings.Contains(out, tt.want) {
				t.Errorf("%v: got stdout %q, want it to contain %q", tt.args, out, tt.want)
			}
			if errOut != "" {
				t.Errorf("%v: got stderr %q, want none", tt.args, errOut)
			}
			assertNoDataDir(t, dir)
		})
	}
}

// TestRefusedCommandLines: unknown commands, subcommands, flags and
// arguments are usage errors (main exits 2) with usage on stderr, and
// nothing is opened. So is a password given as a flag.
func TestRefusedCommandLines(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		args []string
		want string // in the error
	}{
		{name: "UnknownCommand", args: []string{"frobnicate"}, want: `unknown command "frobnicate"`},
		{name: "UnknownTopFlag", args: []string{"--verbose"}, want: `unknown flag "--verbose"`},
		{name: "ServeUnknownFlag", args: []string{"serve", "--port", "1"}, want: "flag provided but not defined: -port"},
		{name: "ServeArgument", args: []string{"serve", "now"}, want: `unexpected argument "now"`},
		{name: "MigrateUnknownFlag", args: []string{"migrate", "--force"}, want: "flag provided but not defined: -force"},
		{name: "MigrateUnknownSubcommand", args: []string{"migrate", "sideways"}, want: `unexpected argument "sideways"`},
		{name: "MigrateStatusArgument", args: []string{"migrate", "status", "now"}, want: `unexpected argument "now"`},
		{name: "MigrateDownWithoutN", args: []string{"migrate", "down"}, want: "want one argument"},
		{name: "MigrateDownZero", args: []string{"migrate", "down", "0"}, want: "positive number"},
		{name: "MigrateDownNotANumber", args: []string{"migrate", "down", "all"}, want: "positive number"},
		{name: "SeedUnknownFlag", args: []string{"seed", "--size", "3"}, want: "flag provided but not defined: -size"},
		{name: "SeedNonPositiveScale", args: []string{"seed", "--scale", "0"}, want: "--scale must be a positive"},
		{name: "UserWithoutSubcommand", args: []string{"user"}, want: "want a subcommand"},
		{name: "UserUnknownSubcommand", args: []string{"user", "delete"}, want: `unknown subcommand "delete"`},
		{name: "UserCreatePasswordFlag", args: []string{"user", "create", "--email", "a@b.example", "--role", "ADMIN", "--password", "plum tractor anvil meadow"}, want: "flag provided but not defined: -password"},
		{name: "UserCreateWithoutEmail", args: []string{"user", "create", "--role", "ADMIN"}, want: "--email is required"},
		{name: "UserCreateWithoutRole", args: []string{"user", "create", "--email", "a@b.example"}, want: "--role is required"},
		{name: "UserCreateUnknownRole", args: []string{"user", "create", "--email", "a@b.example", "--role", "ROOT"}, want: `got "ROOT"`},
		{name: "VersionArgument", args: []string{"version", "--short"}, want: "flag provided but not defined: -short"},
		{name: "HelpUnknownCommand", args: []string{"help", "frobnicate"}, want: `unknown command "frobnicate"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vars, dir := untouched(t)
			out, errOut, err := runInput(t, vars, "", append([]string{"server"}, tt.args...)...)
			var usage *usageError
			if !errors.As(err, &usage) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("%v: got error %v, want a usage error containing %q", tt.args, err, tt.want)
			}
			if !strings.Contains(errOut, "Usage: shopgraph") && !strings.Contains(errOut, "Commands") {
				t.Errorf("%v: got stderr %q, want the usage", tt.args, errOut)
			}
			if out != "" {
				t.Errorf("%v: got stdout %q, want none", tt.args, out)
			}
			assertNoDataDir(t, dir)
		})
	}
}

func TestVersion(t *testing.T) {
	t.Parallel()
	t.Run("PrintsGoVersion", func(t *testing.T) {
		t.Parallel()
		vars, dir := untouched(t)
		out, _, err := runInput(t, vars, "", "server", "version")
		if err != nil {
			t.Fatalf("version: got error %v, want nil", err)
		}
		for _, want := range []string{"shopgraph ", "\nrevision: ", "\ngo: " + runtime.Version()} {
			if !strings.Contains(out, want) {
				t.Errorf("version: got %q, want it to contain %q", out, want)
			}
		}
		assertNoDataDir(t, dir)
	})
	t.Run("ReadsBuildInfo", func(t *testing.T) {
		t.Parallel()
		bi := &debug.BuildInfo{
			GoVersion: "go1.26.8",
			Main:      debug.Module{Path: "github.com/shopgraph/shopgraph", Version: "v1.4.0"},
			Settings: []debug.BuildSetting{
				{Key: "GOOS", Value: "linux"}, {Key: "GOARCH", Value: "arm64"},
				{Key: "vcs.revision", Value: "46d6e65f00"}, {Key: "vcs.time", Value: "2026-12-01T10:00:00Z"},
				{Key: "vcs.modified", Value: "true"},
			},
		}
		got := versionText(bi, true)
		want := "shopgraph v1.4.0\nrevision: 46d6e65f00 (modified), committed 2026-12-01T10:00:00Z\ngo: go1.26.8 linux/arm64\n"
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
	t.Run("WithoutVCS", func(t *testing.T) {
		t.Parallel()
		got := versionText(&debug.BuildInfo{GoVersion: "go1.26.8"}, true)
		want := "shopgraph (devel)\nrevision: unknown (built without VCS information)\ngo: go1.26.8\n"
		if got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	})
}

// strongPassword passes the sign-up strength rule.
const strongPassword = "plum tractor anvil meadow"

func TestUserCreateOnSQLite(t *testing.T) {
	t.Parallel()
	assertUserCreate(t, func(t *testing.T) map[string]string {
		return map[string]string{"DATA_DIR": t.TempDir()}
	})
}

func TestUserCreateOnPostgres(t *testing.T) {
	t.Parallel()
	assertUserCreate(t, func(t *testing.T) map[string]string {
		return map[string]string{"DATABASE_URL": storetest.CreateDatabase(t)}
	})
}

// assertUserCreate checks user create on fresh databases from newDB.
func assertUserCreate(t *testing.T, newDB func(t *testing.T) map[string]string) {
	t.Helper()
	create := func(t *testing.T, vars map[string]string, stdin string, args ...string) (string, string, error) {
		t.Helper()
		return runInput(t, vars, stdin, append([]string{"server", "user", "create"}, args...)...)
	}
	t.Run("CreatesAdminFromStdin", func(t *testing.T) {
		t.Parallel()
		vars := newDB(t)
		out, errOut, err := create(t, vars, strongPassword+"\nnot read\n", "--email", "Root@Shop.example", "--role", "ADMIN")
		if err != nil {
			t.Fatalf("user create: got error %v, want nil; stderr:\n%s", err, errOut)
		}
		if !strings.Contains(out, "created ADMIN root@shop.example (Root)") {
			t.Errorf("user create: got output %q, want \"created ADMIN root@shop.example (Root)\"", out)
		}
		assertSignsIn(t, vars, "root@shop.example", strongPassword, user.RoleADMIN)

		t.Run("ErrDuplicate", func(t *testing.T) {
			_, _, err := create(t, vars, strongPassword+"\n", "--email", "ROOT@shop.example", "--role", "STAFF")
			if err == nil || !strings.Contains(err.Error(), "an account with the email root@shop.example already exists") {
				t.Errorf("second user create: got error %v, want one saying the account already exists", err)
			}
			assertSignsIn(t, vars, "root@shop.example", strongPassword, user.RoleADMIN)
		})
	})
	t.Run("CreatesStaffFromEnvironment", func(t *testing.T) {
		t.Parallel()
		vars := newDB(t)
		vars["SHOPGRAPH_TEST_PASSWORD"] = strongPassword
		out, _, err := create(t, vars, "ignored\n", "--email", "clerk@shop.example", "--name", "Sam Clerk", "--role", "STAFF", "--password-env", "SHOPGRAPH_TEST_PASSWORD")
		if err != nil {
			t.Fatalf("user create --password-env: got error %v, want nil", err)
		}
		if !strings.Contains(out, "created STAFF clerk@shop.example (Sam Clerk)") {
			t.Errorf("user create: got output %q, want \"created STAFF clerk@shop.example (Sam Clerk)\"", out)
		}
		assertSignsIn(t, vars, "clerk@shop.example", strongPassword, user.RoleSTAFF)
	})
	t.Run("CreatesAdminInProduction", func(t *testing.T) {
		t.Parallel()
		vars := newDB(t)
		vars["APP_ENV"], vars["JWT_SECRET"] = "production", testSecret
		if _, _, err := create(t, vars, strongPassword+"\r\n", "--email", "ops@shop.example", "--role", "ADMIN"); err != nil {
			t.Fatalf("user create in production: got error %v, want nil", err)
		}
		assertSignsIn(t, vars, "ops@shop.example", strongPassword, user.RoleADMIN)
	})
	refusals := []struct {
		name  string
		stdin string
		args  []string
		want  string
	}{
		{name: "ErrWeakPassword", stdin: "password1\n", want: "the password is too easy to guess"},
		{name: "ErrPasswordOfEmail", stdin: "new.admin@shop.example\n", want: "it contains your email or name"},
		{name: "ErrShortPassword", stdin: "x7#q\n", want: "the password must be at least 8 characters"},
		{name: "ErrNoPassword", stdin: "", want: "no password"},
		{name: "ErrEmptyPasswordLine", stdin: "\nplum tractor anvil meadow\n", want: "no password"},
		{name: "ErrPasswordVariableUnset", stdin: strongPassword + "\n", args: []string{"--password-env", "SHOPGRAPH_UNSET"}, want: "SHOPGRAPH_UNSET is unset or empty"},
		{name: "ErrNotAnEmail", stdin: strongPassword + "\n", args: []string{"--email", "admin"}, want: "--email must be an email address"},
	}
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			vars := newDB(t)
			args := tt.args
			if !strings.Contains(strings.Join(args, " "), "--email") {
				args = append(args, "--email", "new.admin@shop.example")
			}
			args = append(args, "--role", "ADMIN")
			_, _, err := create(t, vars, tt.stdin, args...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("user create %v: got error %v, want one containing %q", args, err, tt.want)
			}
			if n := countUsers(t, vars); n != 0 {
				t.Errorf("users after a refused user create: got %d, want 0", n)
			}
		})
	}
}

// openStore opens the database vars name (migrating it, so a database a
// refused command never created reads as empty).
func openStore(t *testing.T, vars map[string]string) *store.Store {
	t.Helper()
	cfg, err := loadConfig(env(vars))
	if err != nil {
		t.Fatalf("got error %v, want nil", err)
	}
	st, err := store.Open(t.Context(), store.Config{DatabaseURL: cfg.DatabaseURL, SQLitePath: cfg.sqlitePath()})
	if err != nil {
		t.Fatalf("open the database: got error %v, want nil", err)
	}
	t.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(t.Context()); err != nil {
		t.Fatalf("migrate: got error %v, want nil", err)
	}
	return st
}

// assertSignsIn checks that email signs in with password, as the signIn
// mutation checks it, and has role.
func assertSignsIn(t *testing.T, vars map[string]string, email, password string, role user.Role) {
	t.Helper()
	u, err := shop.New(openStore(t, vars).Client).SignIn(t.Context(), email, password)
	if err != nil {
		t.Fatalf("sign in as %s: got error %v, want nil", email, err)
	}
	if u.Role != role {
		t.Errorf("role of %s: got %s, want %s", email, u.Role, role)
	}
}

func countUsers(t *testing.T, vars map[string]string) int {
	t.Helper()
	n, err := openStore(t, vars).Client.User.Query().Count(t.Context())
	if err != nil {
		t.Fatalf("count users: got error %v, want nil", err)
	}
	return n
}

func TestMigrateStatusAndDownOnSQLite(t *testing.T) {
	t.Parallel()
	assertMigrateStatusAndDown(t, map[string]string{"DATA_DIR": t.TempDir()})
}

func TestMigrateStatusAndDownOnPostgres(t *testing.T) {
	t.Parallel()
	assertMigrateStatusAndDown(t, map[string]string{"DATABASE_URL": storetest.CreateDatabase(t)})
}

// assertMigrateStatusAndDown walks one database from empty to migrated,
// one down, all down and up again, reading migrate status at each step.
// The steps depend on each other, so they run in order.
func assertMigrateStatusAndDown(t *testing.T, vars map[string]string) {
	t.Helper()
	cmd := func(t *testing.T, args ...string) string {
		t.Helper()
		out, errOut, err := runInput(t, vars, "", append([]string{"server"}, args...)...)
		if err != nil {
			t.Fatalf("%v: got error %v, want nil; output:\n%s%s", args, err, out, errOut)
		}
		return out
	}
	status := func(t *testing.T, want ...string) string {
		t.Helper()
		out := cmd(t, "migrate", "status")
		for _, w := range want {
			if !strings.Contains(out, w) {
				t.Errorf("migrate status: got\n%s\nwant it to contain %q", out, w)
			}
		}
		return out
	}
	var total int
	var latest string
	t.Run("EmptyDatabaseHasEveryMigrationPending", func(t *testing.T) {
		out := status(t, "schema version: none")
		m := regexp.MustCompile(`status: (\d+) pending \(.*\b(\d+)\)`).FindStringSubmatch(out)
		if m == nil {
			t.Fatalf("migrate status of an empty database: got\n%s\nwant \"status: N pending (…)\"", out)
		}
		total, _ = strconv.Atoi(m[1])
		latest = m[2]
		if total < 2 || !strings.Contains(out, "latest in this binary: "+latest) {
			t.Errorf("migrate status: got\n%s\nwant at least 2 pending, the last of them the latest", out)
		}
	})
	t.Run("UpToDateAfterMigrate", func(t *testing.T) {
		cmd(t, "migrate")
		status(t, "schema version: "+latest+"\n", "status: up to date")
	})
	t.Run("DownOneLeavesTheLatestPending", func(t *testing.T) {
		out := cmd(t, "migrate", "down", "1")
		if !strings.Contains(out, "reverted 1 migrations: schema version ") {
			t.Errorf("migrate down 1: got %q, want \"reverted 1 migrations: schema version …\"", out)
		}
		status(t, "status: 1 pending ("+latest+")")
	})
	t.Run("ErrDownMoreThanApplied", func(t *testing.T) {
		_, _, err := runInput(t, vars, "", "server", "migrate", "down", strconv.Itoa(total))
		if err == nil || !strings.Contains(err.Error(), "cannot revert "+strconv.Itoa(total)+" migrations: "+strconv.Itoa(total-1)+" are applied") {
			t.Errorf("migrate down %d with %d applied: got error %v, want a refusal", total, total-1, err)
		}
		status(t, "status: 1 pending ("+latest+")")
	})
	t.Run("DownAllThenUp", func(t *testing.T) {
		out := cmd(t, "migrate", "down", strconv.Itoa(total-1))
		if !strings.Contains(out, "schema version none") {
			t.Errorf("migrate down %d: got %q, want \"schema version none\"", total-1, out)
		}
		status(t, "schema version: none", "status: "+strconv.Itoa(total)+" pending")
		cmd(t, "migrate", "up")
		status(t, "status: up to date")
		if n := countUsers(t, vars); n != 0 {
			t.Errorf("users after down and up: got %d, want 0 (tables recreated)", n)
		}
	})
}
