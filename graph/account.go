package graph

import (
	"context"
	"fmt"
	"strings"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/ent/user"
	"github.com/shopgraph/shopgraph/graph/apperr"
	"github.com/shopgraph/shopgraph/graph/auth"
	"github.com/shopgraph/shopgraph/graph/loaders"
	"github.com/shopgraph/shopgraph/graph/model"
	"github.com/shopgraph/shopgraph/graph/relay"
)

// normalizeEmail is how addresses are stored and looked up.
func normalizeEmail(s string) string { return strings.ToLower(strings.TrimSpace(s)) }

func (r *Resolver) signUp(ctx context.Context, in model.SignUpInput) (*model.AuthPayload, error) {
	in.Name = strings.TrimSpace(in.Name) // validated as stored: "   " is no name
	if err := r.check("input", &in); err != nil {
		return nil, err
	}
	hash, err := auth.HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	u, err := r.client.User.Create().
		SetEmail(normalizeEmail(in.Email)).
		SetName(in.Name).
		SetPasswordHash(hash).
		SetRole(user.RoleCUSTOMER).
		Save(ctx)
	if ent.IsConstraintError(err) {
		return nil, apperr.Conflicting("input.email", "an account with this email already exists")
	}
	if err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	return r.session(ctx, u)
}

// errSignIn is the one answer to every failed sign-in, so it does not tell
// whether the email has an account.
var errSignIn = apperr.Errorf(apperr.Unauthenticated, "invalid email or password")

func (r *Resolver) signIn(ctx context.Context, in model.SignInInput) (*model.AuthPayload, error) {
	if err := r.check("input", &in); err != nil {
		return nil, err
	}
	u, err := r.client.User.Query().Where(user.Email(normalizeEmail(in.Email))).Only(ctx)
	switch {
	case ent.IsNotFound(err):
		auth.CheckPassword(in.Password, "") // same cost as a wrong password
		return nil, errSignIn
	case err != nil:
		return nil, fmt.Errorf("find user: %w", err)
	case !auth.CheckPassword(in.Password, u.PasswordHash):
		return nil, errSignIn
	}
	return r.session(ctx, u)
}

// session issues u a token and makes u the viewer for the rest of the
// request, so the payload shows the user's own private fields.
func (r *Resolver) session(ctx context.Context, u *ent.User) (*model.AuthPayload, error) {
	token, exp, err := r.tokens.Issue(u)
	if err != nil {
		return nil, err
	}
	auth.SignedIn(ctx, auth.Viewer{ID: u.ID, Role: u.Role})
	return &model.AuthPayload{Token: token, ExpiresAt: exp, User: u}, nil
}

// setUserRole changes a role in a transaction that first locks the ADMIN
// rows, so two admins demoting each other at once cannot leave none.
func (r *Resolver) setUserRole(ctx context.Context, in model.SetUserRoleInput) (*model.SetUserRolePayload, error) {
	id, err := relay.IDOf("input.userId", "User", in.UserID)
	if err != nil {
		return nil, err
	}
	var changed *ent.User
	err = r.inTx(ctx, func(tx *ent.Tx) error {
		adminIDs, err := store.LockAdmins(ctx, tx)
		if err != nil {
			return err
		}
		target, err := tx.User.Get(ctx, id)
		if ent.IsNotFound(err) {
			return apperr.Errorf(apperr.NotFound, "user not found")
		}
		if err != nil {
			return err
		}
		if target.Role == user.RoleADMIN && in.Role != user.RoleADMIN && len(adminIDs) <= 1 {
			return apperr.Errorf(apperr.Conflict, "cannot remove the last ADMIN")
		}
		changed, err = tx.User.UpdateOne(target).SetRole(in.Role).Save(ctx)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &model.SetUserRolePayload{User: changed}, nil
}

// inTx runs fn in a transaction, committed only if fn succeeds.
func (r *Resolver) inTx(ctx context.Context, fn func(tx *ent.Tx) error) error {
	tx, err := r.client.Tx(ctx)
	if err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	defer func() {
		if p := recover(); p != nil {
			tx.Rollback()
			panic(p)
		}
	}()
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// viewerUser is the signed-in user, or nil when anonymous.
func (r *Resolver) viewerUser(ctx context.Context) (*ent.User, error) {
	v := auth.FromContext(ctx)
	if v.Anonymous() {
		return nil, nil
	}
	return loaders.UserByID(ctx, v.ID)
}

func (r *Resolver) updateAccount(ctx context.Context, in model.UpdateAccountInput) (*model.AccountPayload, error) {
	in.Name = strings.TrimSpace(in.Name) // validated as stored: "   " is no name
	if err := r.check("input", &in); err != nil {
		return nil, err
	}
	u, err := r.client.User.UpdateOneID(auth.FromContext(ctx).ID).SetName(in.Name).Save(ctx)
	if err != nil {
		return nil, fmt.Errorf("update account: %w", err)
	}
	return &model.AccountPayload{User: u}, nil
}

// changePassword needs the current password, so a stolen token alone
// cannot take over the account.
func (r *Resolver) changePassword(ctx context.Context, in model.ChangePasswordInput) (*model.AccountPayload, error) {
	if err := r.check("input", &in); err != nil {
		return nil, err
	}
	id := auth.FromContext(ctx).ID
	u, err := r.client.User.Get(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("load account: %w", err)
	}
	if !auth.CheckPassword(in.CurrentPassword, u.PasswordHash) {
		return nil, apperr.Invalid("input.currentPassword", "is not your current password")
	}
	hash, err := auth.HashPassword(in.NewPassword)
	if err != nil {
		return nil, err
	}
	if u, err = u.Update().SetPasswordHash(hash).Save(ctx); err != nil {
		return nil, fmt.Errorf("change password: %w", err)
	}
	return &model.AccountPayload{User: u}, nil
}
