package graph

// Resolver is the root resolver; it holds the request-independent
// dependencies. Per-request state (loaders, viewer) travels in the context.
type Resolver struct{}
