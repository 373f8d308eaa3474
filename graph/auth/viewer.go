package auth

import (
	"context"
	"sync"

	"github.com/shopgraph/shopgraph/ent/user"
)

// Viewer is who a request acts for. The zero Viewer is anonymous.
type Viewer struct {
	ID   int
	Role user.Role
}

// Anonymous reports whether nobody is signed in.
func (v Viewer) Anonymous() bool { return v.ID == 0 }

// rank orders roles: anonymous < CUSTOMER < STAFF < ADMIN.
func rank(r user.Role) int {
	switch r {
	case user.RoleCUSTOMER:
		return 1
	case user.RoleSTAFF:
		return 2
	case user.RoleADMIN:
		return 3
	default:
		return 0
	}
}

// AtLeast reports whether the viewer is signed in with role r or a higher one.
func (v Viewer) AtLeast(r user.Role) bool {
	return !v.Anonymous() && rank(v.Role) >= rank(r)
}

// Staff reports whether the viewer is STAFF or ADMIN.
func (v Viewer) Staff() bool { return v.AtLeast(user.RoleSTAFF) }

type ctxKey struct{}

// box holds a request's viewer. It is a pointer so that signing in during a
// request (signIn, signUp) applies to the rest of it: the payload's user is
// then the viewer's own and shows its private fields.
type box struct {
	mu sync.RWMutex
	v  Viewer
}

// WithViewer returns a context acting for v.
func WithViewer(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, ctxKey{}, &box{v: v})
}

// FromContext returns the viewer; a context without one is anonymous, so a
// missing viewer can only ever narrow what is visible.
func FromContext(ctx context.Context) Viewer {
	b, ok := ctx.Value(ctxKey{}).(*box)
	if !ok {
		return Viewer{}
	}
	b.mu.RLock()
	defer b.mu.RUnlock()
	return b.v
}

// SignedIn makes v the viewer for the rest of the request whose context
// carries a viewer (Tokens.Middleware puts an anonymous one in every
// request). It reports whether it could.
func SignedIn(ctx context.Context, v Viewer) bool {
	b, ok := ctx.Value(ctxKey{}).(*box)
	if !ok {
		return false
	}
	b.mu.Lock()
	b.v = v
	b.mu.Unlock()
	return true
}
