package directive

import (
	"context"

	"github.com/99designs/gqlgen/graphql"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/user"
	"github.com/shopgraph/shopgraph/graph/apperr"
	"github.com/shopgraph/shopgraph/graph/auth"
)

func unauthenticated() error {
	return apperr.Errorf(apperr.Unauthenticated, "sign in to see this field")
}

func forbidden() error {
	return apperr.Errorf(apperr.Forbidden, "not allowed to see this field")
}

// Auth lets any signed-in viewer through.
func Auth(ctx context.Context, _ any, next graphql.Resolver) (any, error) {
	if auth.FromContext(ctx).Anonymous() {
		return nil, unauthenticated()
	}
	return next(ctx)
}

// HasRole lets viewers with at least role through.
func HasRole(ctx context.Context, _ any, next graphql.Resolver, role user.Role) (any, error) {
	return admit(ctx, nil, next, role)
}

// OwnerOrRole lets through the owner of the parent object or viewers with
// at least role.
func OwnerOrRole(ctx context.Context, obj any, next graphql.Resolver, role user.Role) (any, error) {
	return admit(ctx, obj, next, role)
}

// admit lets a signed-in viewer through who has at least role or owns obj
// (a nil obj has no owner).
func admit(ctx context.Context, obj any, next graphql.Resolver, role user.Role) (any, error) {
	v := auth.FromContext(ctx)
	switch {
	case v.Anonymous():
		return nil, unauthenticated()
	case !v.AtLeast(role) && !owns(v, obj):
		return nil, forbidden()
	}
	return next(ctx)
}

// owns reports whether v owns obj: a user owns themself, a customer their
// orders. Any other object has no owner.
func owns(v auth.Viewer, obj any) bool {
	switch o := obj.(type) {
	case *ent.User:
		return o != nil && o.ID == v.ID
	case *ent.Order:
		return o != nil && o.CustomerID == v.ID
	default:
		return false
	}
}
