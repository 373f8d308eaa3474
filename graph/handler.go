package graph

import (
	"context"
	"log/slog"
	"net/http"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler"
	"github.com/99designs/gqlgen/graphql/handler/extension"
	"github.com/99designs/gqlgen/graphql/handler/lru"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/ast"

	"github.com/shopgraph/shopgraph/ent"
	"github.com/shopgraph/shopgraph/graph/loaders"
)

// Options configure the GraphQL handler.
type Options struct {
	// Currency is the ISO 4217 code of every Money amount.
	Currency string
	// Loaders tunes the per-request dataloaders.
	Loaders loaders.Config
	// Introspection enables schema introspection (GraphiQL needs it).
	Introspection bool
}

// NewHandler returns the GraphQL endpoint over client. Transports are chosen
// explicitly (GET and POST); gqlgen's NewDefaultServer is not meant for
// production.
func NewHandler(client *ent.Client, logger *slog.Logger, opts Options) http.Handler {
	if opts.Currency == "" {
		opts.Currency = "USD"
	}
	r := &Resolver{
		client:   client,
		logger:   logger,
		validate: newValidator(),
		currency: opts.Currency,
		loaders:  opts.Loaders,
	}
	srv := handler.New(NewExecutableSchema(Config{Resolvers: r}))
	srv.AddTransport(transport.GET{})
	srv.AddTransport(transport.POST{})
	srv.SetQueryCache(lru.New[*ast.QueryDocument](1000))
	if opts.Introspection {
		srv.Use(extension.Introspection{})
	}
	srv.SetErrorPresenter(presentErrors(logger))
	srv.SetRecoverFunc(recoverPanic(logger))
	// Fresh loaders per operation: caches never outlive it or cross viewers.
	srv.AroundOperations(func(ctx context.Context, next graphql.OperationHandler) graphql.ResponseHandler {
		return next(loaders.With(ctx, loaders.New(ctx, client, r.loaders)))
	})
	return srv
}
