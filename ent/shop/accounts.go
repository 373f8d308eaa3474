package shop

import (
	"context"
	"fmt"
	"strings"

	"entgo.io/ent/dialect"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/user"
)

// NormalizeEmail is how addresses are stored and looked up.
func NormalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

// SignUp is a new customer account.
type SignUp struct {
	Email, Name, Password string
}

// SignUp creates a CUSTOMER account. A taken email is a *ConflictError on
// "email".
func (s *Service) SignUp(ctx context.Context, in SignUp) (*ent.User, error) {
	// Hashing takes tens of milliseconds of CPU and cannot be interrupted:
	// a request that has already been given up on does not start one
	// (aliased sign-ups run one after another, each checks).
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if err := checkStrength("password", in.Password, NormalizeEmail(in.Email), in.Name); err != nil {
		return nil, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	u, err := s.client.User.Create().
		SetEmail(NormalizeEmail(in.Email)).
		SetName(strings.TrimSpace(in.Name)).
		SetPasswordHash(hash).
		SetRole(user.RoleCUSTOMER).
		Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, &ConflictError{Field: "email", Reason: "an account with this email already exists"}
	}
	if err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	return u, nil
}

// SignIn returns the user whose email and password these are, or
// ErrBadCredentials. An unknown email costs the same time as a wrong
// password.
func (s *Service) SignIn(ctx context.Context, email, password string) (*ent.User, error) {
	if err := ctx.Err(); err != nil {
		return nil, err // as SignUp: no hashing for a request given up on
	}
	u, err := s.client.User.Query().Where(user.Email(NormalizeEmail(email))).Only(ctx)
	switch {
	case ent.IsNotFound(err):
		CheckPassword(password, "")
		return nil, ErrBadCredentials
	case err != nil:
		return nil, fmt.Errorf("find user: %w", err)
	case !CheckPassword(password, u.PasswordHash):
		return nil, ErrBadCredentials
	}
	return u, nil
}

// SetUserRole gives user id the role. It first locks the ADMIN rows, so two
// admins demoting each other at once cannot leave none: removing the last
// ADMIN is a *ConflictError. A missing user is a *NotFoundError without a
// field (the user is the operation's subject).
func (s *Service) SetUserRole(ctx context.Context, id int, role user.Role) (*ent.User, error) {
	return inTx(ctx, s, func(tx *ent.Tx) (*ent.User, error) {
		admins, err := lockAdmins(ctx, tx)
		if err != nil {
			return nil, err
		}
		target, err := tx.User.Get(ctx, id)
		if err != nil {
			return nil, notFoundOr(err, "", "user")
		}
		if target.Role == user.RoleADMIN && role != user.RoleADMIN && len(admins) <= 1 {
			return nil, &ConflictError{Reason: "cannot remove the last ADMIN"}
		}
		return tx.User.UpdateOne(target).SetRole(role).Save(ctx)
	})
}

// lockAdmins returns the IDs of the ADMIN users, locking their rows until
// tx ends (on PostgreSQL; SQLite's BEGIN IMMEDIATE already runs one writer
// at a time).
func lockAdmins(ctx context.Context, tx *ent.Tx) ([]int, error) {
	admins := tx.User.Query().Where(user.RoleEQ(user.RoleADMIN))
	if tx.Dialect() == dialect.Postgres {
		admins.ForUpdate()
	}
	ids, err := admins.IDs(ctx)
	if err != nil {
		return nil, fmt.Errorf("lock admins: %w", err)
	}
	return ids, nil
}

// UpdateAccount renames user id.
func (s *Service) UpdateAccount(ctx context.Context, id int, name string) (*ent.User, error) {
	u, err := s.client.User.UpdateOneID(id).SetName(strings.TrimSpace(name)).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("update account: %w", err)
	}
	return u, nil
}

// ChangePassword sets user id's password to next if current is the one it
// has, so a stolen session alone cannot take over the account; a wrong
// current password is an *InvalidError on "currentPassword".
func (s *Service) ChangePassword(ctx context.Context, id int, current, next string) (*ent.User, error) {
	u, err := s.client.User.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load account: %w", err)
	}
	if err := ctx.Err(); err != nil {
		return nil, err // as SignUp: no hashing for a request given up on
	}
	if !CheckPassword(current, u.PasswordHash) {
		return nil, &InvalidError{Field: "currentPassword", Reason: "is not your current password"}
	}
	if err := checkStrength("newPassword", next, u.Email, u.Name); err != nil {
		return nil, err
	}
	hash, err := HashPassword(next)
	if err != nil {
		return nil, err
	}
	// A new password ends every session made with the old one: whoever
	// stole a token keeps nothing. The caller issues the owner a new one.
	if u, err = u.Update().SetPasswordHash(hash).AddTokenVersion(1).Save(ctx); err != nil {
		return nil, fmt.Errorf("change password: %w", err)
	}
	return u, nil
}

// SignOut ends every session of user id: each token issued before carries
// the old token version and is refused from now on.
func (s *Service) SignOut(ctx context.Context, id int) error {
	if err := s.client.User.UpdateOneID(id).AddTokenVersion(1).Exec(ctx); err != nil {
		return fmt.Errorf("sign out: %w", err)
	}
	return nil
}
