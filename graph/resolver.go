package graph

import (
	"github.com/go-playground/validator/v10"

	"github.com/shopgraph/shopgraph/ent"
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
}
