package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/go-playground/validator/v10"
	"golang.org/x/term"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/shop"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/ent/user"
	"github.com/shopgraph/shopgraph/graph/model"
)

// user create: the account is made by the shop's SignUp, the code the
// signUp mutation calls (strength rule, argon2id hash, taken emails), and
// its input is checked against the signUp input's own validate tags, so an
// account made here is one the API could have made, but for its role.

// readPassword returns the password of user create: the value of the
// environment variable u.passwordEnv, or else the first line of stdin.
// At a terminal, stdin is read at a prompt (on stderr) without echo.
func readPassword(u newUser, getenv func(string) string, stdin io.Reader, stderr io.Writer) (string, error) {
	if u.passwordEnv != "" {
		p := getenv(u.passwordEnv)
		if p == "" {
			return "", fmt.Errorf("user create: the password variable %s is unset or empty", u.passwordEnv)
		}
		return p, nil
	}
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprintf(stderr, "Password for %s: ", u.email)
		p, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stderr)
		if err != nil {
			return "", fmt.Errorf("user create: read the password: %w", err)
		}
		return string(p), nil
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("user create: read the password from stdin: %w", err)
	}
	line = strings.TrimSuffix(strings.TrimSuffix(line, "\n"), "\r")
	if line == "" {
		return "", errors.New("user create: no password: give it as the first line of stdin, or name a variable with --password-env")
	}
	return line, nil
}

// checkNewUser applies the signUp input's validate tags (email, 8..128
// characters, a name) to what user create was given.
func checkNewUser(u newUser, password string) error {
	in := model.SignUpInput{Email: u.email, Password: password, Name: strings.TrimSpace(u.name)}
	err := validator.New(validator.WithRequiredStructEnabled()).Struct(in)
	var verrs validator.ValidationErrors
	if !errors.As(err, &verrs) {
		return err
	}
	var msgs []string
	for _, fe := range verrs {
		flagName := map[string]string{"Email": "--email", "Name": "--name", "Password": "the password"}[fe.Field()]
		msgs = append(msgs, flagName+" "+describeRule(fe))
	}
	return fmt.Errorf("user create: %s", strings.Join(msgs, "; "))
}

func describeRule(fe validator.FieldError) string {
	switch fe.Tag() {
	case "required":
		return "is required"
	case "email":
		return "must be an email address"
	case "min":
		return "must be at least " + fe.Param() + " characters"
	case "max":
		return "must be at most " + fe.Param() + " characters"
	}
	return "fails the rule " + fe.Tag()
}

// createUser makes the account in one transaction: SignUp creates it as a
// CUSTOMER, then it gets its role.
func createUser(ctx context.Context, st *store.Store, u newUser, password string) (*ent.User, error) {
	tx, err := st.Client.Tx(ctx)
	if err != nil {
		return nil, fmt.Errorf("user create: begin: %w", err)
	}
	defer tx.Rollback() // after Commit, a no-op
	created, err := shop.New(tx.Client()).SignUp(ctx, shop.SignUp{Email: u.email, Name: strings.TrimSpace(u.name), Password: password})
	var conflict *shop.ConflictError
	var invalid *shop.InvalidError
	switch {
	case errors.As(err, &conflict):
		return nil, fmt.Errorf("user create: an account with the email %s already exists", shop.NormalizeEmail(u.email))
	case errors.As(err, &invalid):
		return nil, fmt.Errorf("user create: the password %s", invalid.Reason)
	case err != nil:
		return nil, fmt.Errorf("user create: %w", err)
	}
	created, err = tx.User.UpdateOne(created).SetRole(user.Role(u.role)).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("user create: set the role: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("user create: commit: %w", err)
	}
	return created, nil
}
