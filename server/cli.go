package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/shopgraph/shopgraph/ent/user"
)

// The command line: every command, its flags and its help, parsed and
// checked before the configuration is read or anything is opened, so help
// and a refused command line never touch the database.

// invocation is a parsed command line.
type invocation struct {
	cmd   string // a command's name: "serve", "migrate status", …; "help" prints text
	text  string // help: what to print
	scale int    // seed --scale
	steps int    // migrate down N
	user  newUser
}

// newUser is what user create was given. The password is not here: it is
// never an argument (see readPassword).
type newUser struct {
	email, name, role, passwordEnv string
}

// usageError is a command line that cannot run. run prints usage, the help
// of the command it names, to stderr; main exits 2.
type usageError struct {
	err   error
	usage string
}

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

// command is one command of the binary.
type command struct {
	name     string // as typed, words separated by one space
	synopsis string // what follows the name in a usage line
	summary  string // the overview's line
	details  string // the rest of its help
	// flags declares the command's flags into inv; nil: none.
	flags func(fs *flag.FlagSet, inv *invocation)
	// check validates the parsed flags and takes the positional arguments
	// (fs.Args()); nil: none are allowed.
	check func(fs *flag.FlagSet, inv *invocation) error
	// group: the name only introduces subcommands ("user").
	group bool
}

// commands is the command table, in the overview's order.
var commands = []command{
	{
		name:    "serve",
		summary: "serve the API (the default: migrates first; in development seeds demo data into an empty database)",
		details: `Applies the migrations, then serves GraphQL on /graphql, GraphiQL on /
(development only) and the probes /healthz and /readyz on ADDR until
SIGINT or SIGTERM, and drains in-flight requests for SHUTDOWN_TIMEOUT.
"shopgraph" with no command is "shopgraph serve".`,
	},
	{
		name:     "migrate",
		synopsis: "[up]",
		summary:  "apply the migrations and exit",
		details: `Applies every migration built into this binary that the database lacks
(serve and the other commands do the same before they start).`,
		check: func(fs *flag.FlagSet, inv *invocation) error {
			if fs.NArg() == 1 && fs.Arg(0) == "up" {
				return nil
			}
			return noArgs(fs)
		},
	},
	{
		name:    "migrate status",
		summary: "print the schema version and whether it is up to date",
		details: `Prints the version of the newest migration applied, the newest built
into this binary and the migrations still to apply. Applies nothing.
Fails if the database is dirty (a migration failed halfway).`,
	},
	{
		name:     "migrate down",
		synopsis: "N",
		summary:  "revert the newest N migrations",
		details: `Runs the down files of the newest N applied migrations, newest first,
and prints the version it ends at. N must be from 1 to the number
applied. This drops the columns and tables those migrations added, with
their data: take a backup first. Any command of this binary but migrate
status applies the migrations again, so follow it with the binary you
are going back to.`,
		check: func(fs *flag.FlagSet, inv *invocation) error {
			if fs.NArg() != 1 {
				return errors.New("want one argument: the number of migrations to revert")
			}
			n, err := strconv.Atoi(fs.Arg(0))
			if err != nil || n < 1 {
				return fmt.Errorf("want a positive number of migrations, got %q", fs.Arg(0))
			}
			inv.steps = n
			return nil
		},
	},
	{
		name:     "seed",
		synopsis: "[--scale N]",
		summary:  "load the demo data into an empty database",
		details: `Loads the demo catalog, accounts and orders into an empty database, or
with --scale N a generated data set for benchmarks. Refused with
APP_ENV=production.`,
		flags: func(fs *flag.FlagSet, inv *invocation) {
			fs.IntVar(&inv.scale, "scale", 0, "generate `N` products (about 4 variants each) instead of the demo data")
		},
		check: func(fs *flag.FlagSet, inv *invocation) error {
			given := false
			fs.Visit(func(f *flag.Flag) { given = given || f.Name == "scale" })
			if given && inv.scale <= 0 {
				return fmt.Errorf("--scale must be a positive number of products, got %d", inv.scale)
			}
			return noArgs(fs)
		},
	},
	{
		name:    "user",
		summary: "",
		group:   true,
	},
	{
		name:     "user create",
		synopsis: "--email ADDRESS --role ROLE [--name NAME] [--password-env VAR]",
		summary:  "create an account: the first ADMIN of a production database",
		details: `Creates an account that signs in over the API like any other. The
password is never an argument: it is the first line of stdin (typed at a
prompt that does not echo it when stdin is a terminal), or with
--password-env VAR the value of the environment variable VAR. It must
pass the rules signUp applies (8 to 128 characters, hard to guess).
ROLE is CUSTOMER, STAFF or ADMIN (the highest: staff rights and
setUserRole). A taken email is refused. Migrates first, like serve.

  printf '%s\n' "$ADMIN_PASSWORD" | shopgraph user create --email admin@shop.example --role ADMIN`,
		flags: func(fs *flag.FlagSet, inv *invocation) {
			fs.StringVar(&inv.user.email, "email", "", "sign-in `ADDRESS` (required; stored lower-case)")
			fs.StringVar(&inv.user.role, "role", "", "`ROLE`: CUSTOMER, STAFF or ADMIN (required)")
			fs.StringVar(&inv.user.name, "name", "", "display `NAME` (default: the part of the email before @)")
			fs.StringVar(&inv.user.passwordEnv, "password-env", "", "read the password from the environment variable `VAR` instead of stdin")
		},
		check: func(fs *flag.FlagSet, inv *invocation) error {
			u := &inv.user
			switch {
			case u.email == "":
				return errors.New("--email is required")
			case u.role == "":
				return errors.New("--role is required (CUSTOMER, STAFF or ADMIN)")
			}
			if err := user.RoleValidator(user.Role(u.role)); err != nil {
				return fmt.Errorf("--role must be CUSTOMER, STAFF or ADMIN, got %q", u.role)
			}
			if u.name == "" {
				u.name, _, _ = strings.Cut(u.email, "@")
			}
			return noArgs(fs)
		},
	},
	{
		name:    "version",
		summary: "print the module version, VCS revision and Go version",
		details: `Reads them from the binary's build information (debug.ReadBuildInfo).
A binary built outside a git checkout, or with -buildvcs=false, has no
revision.`,
	},
	{
		name:     "help",
		synopsis: "[COMMAND]",
		summary:  "print this overview, or a command's help",
		details:  `"shopgraph COMMAND -h" (or --help) prints the same.`,
	},
}

func lookup(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// subcommands returns the commands under group, such as "user create".
func subcommands(group string) []string {
	var names []string
	for _, c := range commands {
		if strings.HasPrefix(c.name, group+" ") {
			names = append(names, c.name)
		}
	}
	return names
}

// parseArgs parses the arguments after the program name.
func parseArgs(args []string) (invocation, error) {
	if len(args) == 0 {
		return invocation{cmd: "serve"}, nil
	}
	if isHelpFlag(args[0]) {
		return invocation{cmd: "help", text: overview()}, nil
	}
	c, rest := find(args)
	if c == nil {
		if strings.HasPrefix(args[0], "-") {
			return invocation{}, &usageError{fmt.Errorf("unknown flag %q (flags follow the command)", args[0]), overview()}
		}
		return invocation{}, &usageError{fmt.Errorf("unknown command %q", args[0]), overview()}
	}
	if c.name == "help" {
		return parseHelp(rest)
	}
	for _, a := range rest {
		if a == "--" {
			break
		}
		if isHelpFlag(a) {
			return invocation{cmd: "help", text: c.help()}, nil
		}
	}
	if c.group {
		if len(rest) == 0 {
			return invocation{}, &usageError{fmt.Errorf("%s: want a subcommand: %s", c.name, strings.Join(subcommands(c.name), ", ")), c.help()}
		}
		return invocation{}, &usageError{fmt.Errorf("%s: unknown subcommand %q (want %s)", c.name, rest[0], strings.Join(subcommands(c.name), ", ")), c.help()}
	}
	inv := invocation{cmd: c.name}
	fs := c.flagSet(&inv)
	if err := fs.Parse(rest); err != nil {
		return invocation{}, &usageError{fmt.Errorf("%s: %w", c.name, err), c.help()}
	}
	check := c.check
	if check == nil {
		check = func(fs *flag.FlagSet, _ *invocation) error { return noArgs(fs) }
	}
	if err := check(fs, &inv); err != nil {
		return invocation{}, &usageError{fmt.Errorf("%s: %w", c.name, err), c.help()}
	}
	return inv, nil
}

// find resolves the longest command name args start with.
func find(args []string) (*command, []string) {
	if len(args) >= 2 {
		if c := lookup(args[0] + " " + args[1]); c != nil {
			return c, args[2:]
		}
	}
	if c := lookup(args[0]); c != nil {
		return c, args[1:]
	}
	return nil, nil
}

func parseHelp(args []string) (invocation, error) {
	if len(args) == 0 {
		return invocation{cmd: "help", text: overview()}, nil
	}
	if len(args) == 1 && isHelpFlag(args[0]) {
		return invocation{cmd: "help", text: lookup("help").help()}, nil
	}
	c, rest := find(args)
	if c == nil || len(rest) > 0 {
		return invocation{}, &usageError{fmt.Errorf("help: unknown command %q", strings.Join(args, " ")), overview()}
	}
	return invocation{cmd: "help", text: c.help()}, nil
}

func isHelpFlag(a string) bool { return a == "-h" || a == "-help" || a == "--help" }

func noArgs(fs *flag.FlagSet) error {
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return nil
}

// flagSet declares c's flags; it prints nothing itself (run decides where
// help and errors go).
func (c *command) flagSet(inv *invocation) *flag.FlagSet {
	fs := flag.NewFlagSet(c.name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	if c.flags != nil {
		c.flags(fs, inv)
	}
	return fs
}

// help is c's help text.
func (c *command) help() string {
	var b strings.Builder
	if c.group {
		fmt.Fprintf(&b, "Commands of shopgraph %s:\n\n", c.name)
		for _, name := range subcommands(c.name) {
			sub := lookup(name)
			fmt.Fprintf(&b, "  shopgraph %s\n        %s\n", usageLine(sub), sub.summary)
		}
		fmt.Fprintf(&b, "\nRun 'shopgraph help %s COMMAND' for a command's help.\n", c.name)
		return b.String()
	}
	fmt.Fprintf(&b, "Usage: shopgraph %s\n\n%s.\n", usageLine(c), upperFirst(c.summary))
	if c.details != "" {
		fmt.Fprintf(&b, "\n%s\n", c.details)
	}
	fs := c.flagSet(&invocation{})
	hasFlags := false
	fs.VisitAll(func(*flag.Flag) { hasFlags = true })
	if hasFlags {
		b.WriteString("\nFlags:\n")
		fs.SetOutput(&b)
		fs.PrintDefaults()
		fs.SetOutput(io.Discard)
	}
	if c.name != "help" && c.name != "version" {
		b.WriteString("\nConfiguration comes from the environment (APP_ENV, DATABASE_URL, DATA_DIR, …: see the README).\n")
	}
	return b.String()
}

func usageLine(c *command) string {
	if c.synopsis == "" {
		return c.name
	}
	return c.name + " " + c.synopsis
}

// overview is "shopgraph help": every command on a line.
func overview() string {
	var b strings.Builder
	b.WriteString("shopgraph: the GraphQL API of an online store.\n\nUsage: shopgraph [COMMAND] [FLAGS]\n\nCommands:\n")
	for i := range commands {
		c := &commands[i]
		if c.group {
			continue
		}
		fmt.Fprintf(&b, "  %s\n        %s\n", usageLine(c), c.summary)
	}
	b.WriteString(`
Without a command, shopgraph serves. "shopgraph help COMMAND" or
"shopgraph COMMAND -h" prints a command's help. Every command but help and
version reads its configuration from the environment (see the README).
`)
	return b.String()
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
