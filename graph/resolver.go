package graph

import (
	"github.com/go-playground/validator/v10"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/ent/shop"
	"github.com/shopgraph/shopgraph/ent/store"
	"github.com/shopgraph/shopgraph/graph/auth"
	"github.com/shopgraph/shopgraph/graph/loaders"
)

// Resolver is the root resolver; it holds the request-independent
// dependencies. Per-request state (loaders, viewer) travels in the context.
type Resolver struct {
	client   *ent.Client
	tokens   *auth.Tokens
	validate *validator.Validate
	loaders  loaders.Config
	events   *store.Hub
}

// shop is the domain over the API's client, so its reads honour the
// viewer's row rules. A Service is a pointer to the client, made per call
// rather than kept, so that a Resolver built with only its client (as
// NewHandler builds it) needs no second place to wire it.
func (r *Resolver) shop() *shop.Service { return shop.New(r.client) }

// actor is the viewer as the shop's rules see it.
func actor(v auth.Viewer) shop.Actor { return shop.Actor{ID: v.ID, Role: v.Role} }
