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
	"github.com/shopgraph/shopgraph/graph/auth"
	"github.com/shopgraph/shopgraph/graph/directive"
	"github.com/shopgraph/shopgraph/graph/loaders"
	"github.com/shopgraph/shopgraph/graph/privacy"
)

// Options configure the GraphQL handler.
type Options struct {
	// Currency is the ISO 4217 code of every Money amount.
	Currency string
	// Loaders tunes the per-request dataloaders.
	Loaders loaders.Config
	// Introspection enables schema introspection (GraphiQL needs it).
	Introspection bool
	// Dialect is the database's ent dialect (locking differs).
	Dialect string
}

// NewHandler returns the GraphQL endpoint over client, authenticating
// requests with tokens. It installs the row-level rules on client, so give
// it a client of its own (store.NewClient). Transports are chosen explicitly
// (GET and POST); gqlgen's NewDefaultServer is not meant for production.
func NewHandler(client *ent.Client, tokens *auth.Tokens, logger *slog.Logger, opts Options) http.Handler {
	if opts.Currency == "" {
		opts.Currency = "USD"
	}
	privacy.Install(client)
	r := &Resolver{
		client:   client,
		dialect:  opts.Dialect,
		tokens:   tokens,
		logger:   logger,
		validate: newValidator(),
		currency: opts.Currency,
		loaders:  opts.Loaders,
	}
	srv := handler.New(NewExecutableSchema(newConfig(r)))
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
	// Mutations run one after another and each changes data: each gets
	// fresh loaders, so its payload never shows rows cached before it ran.
	srv.AroundRootFields(func(ctx context.Context, next graphql.RootResolver) graphql.Marshaler {
		if oc := graphql.GetOperationContext(ctx); oc != nil && oc.Operation != nil && oc.Operation.Operation == ast.Mutation {
			ctx = loaders.With(ctx, loaders.New(ctx, client, r.loaders))
		}
		return next(ctx)
	})
	return tokens.Middleware(srv)
}

// newConfig wires the resolvers and every directive the schema declares.
func newConfig(r *Resolver) Config {
	return Config{
		Resolvers: r,
		Directives: DirectiveRoot{
			Auth:        directive.Auth,
			HasRole:     directive.HasRole,
			OwnerOrRole: directive.OwnerOrRole,
		},
	}
}
