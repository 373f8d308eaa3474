package graph

import (
	"context"
	"strings"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/shop"
	"github.com/shopgraph/shopgraph/graph/auth"
	"github.com/shopgraph/shopgraph/graph/loaders"
	"github.com/shopgraph/shopgraph/graph/model"
	"github.com/shopgraph/shopgraph/graph/relay"
)

// Account mutations: the rules (hashing, the last-admin lock, the current
// password) are ent/shop's; here the input is checked and the session made.

func (r *Resolver) signUp(ctx context.Context, in model.SignUpInput) (*model.AuthPayload, error) {
	in.Name = strings.TrimSpace(in.Name) // validated as stored: "   " is no name
	if err := r.check("input", &in); err != nil {
		return nil, err
	}
	u, err := r.shop().SignUp(ctx, shop.SignUp{Email: in.Email, Name: in.Name, Password: in.Password})
	if err != nil {
		return nil, domainError("input", err)
	}
	return r.session(ctx, u)
}

func (r *Resolver) signIn(ctx context.Context, in model.SignInInput) (*model.AuthPayload, error) {
	if err := r.check("input", &in); err != nil {
		return nil, err
	}
	u, err := r.shop().SignIn(ctx, in.Email, in.Password)
	if err != nil {
		return nil, domainError("input", err)
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

func (r *Resolver) setUserRole(ctx context.Context, in model.SetUserRoleInput) (*model.SetUserRolePayload, error) {
	id, err := relay.IDOf("input.userId", "User", in.UserID)
	if err != nil {
		return nil, err
	}
	u, err := r.shop().SetUserRole(ctx, id, in.Role)
	return reply(u, err, setUserRolePayload)
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
	u, err := r.shop().UpdateAccount(ctx, auth.FromContext(ctx).ID, in.Name)
	return reply(u, err, accountPayload)
}

func (r *Resolver) changePassword(ctx context.Context, in model.ChangePasswordInput) (*model.AccountPayload, error) {
	if err := r.check("input", &in); err != nil {
		return nil, err
	}
	u, err := r.shop().ChangePassword(ctx, auth.FromContext(ctx).ID, in.CurrentPassword, in.NewPassword)
	if err != nil {
		return nil, domainError("input", err)
	}
	// Every earlier token, this request's included, is revoked: the
	// session continues on a new one.
	token, exp, err := r.tokens.Issue(u)
	if err != nil {
		return nil, err
	}
	return &model.AccountPayload{User: u, Token: &token, ExpiresAt: &exp}, nil
}

func (r *Resolver) signOut(ctx context.Context) (*model.SignOutPayload, error) {
	if err := r.shop().SignOut(ctx, auth.FromContext(ctx).ID); err != nil {
		return nil, domainError("", err)
	}
	return &model.SignOutPayload{SignedOut: true}, nil
}

func accountPayload(u *ent.User) *model.AccountPayload { return &model.AccountPayload{User: u} }

func setUserRolePayload(u *ent.User) *model.SetUserRolePayload {
	return &model.SetUserRolePayload{User: u}
}
