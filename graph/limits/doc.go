// Package limits prices and rations GraphQL operations before any resolver
// runs. An Extension measures each operation's shape (nesting depth,
// aliases, field selections) and its cost, where a list multiplies what it
// contains by the page size it asks for, so cost tracks the rows a query can
// touch; then it charges the cost to the caller's leaky bucket and named
// root fields (sign-in, checkout) to their own, tighter buckets. Anything
// over a limit is refused with a stable code and nothing is executed.
//
// What the budget decided for a request reaches the client in GitHub's
// X-RateLimit-* headers, never in the body (extensions.cost is the same for
// every caller): the handler gives each request a context of its own to
// note it in (WithReport), and the HTTP transport writes it (RateHeaders)
// on every response but a publicly cacheable one.
//
// Policy (policy.go) assembles every rule from the server's settings in one
// place. It may import gqlgen and Redis; it must not import graph, ent or
// anything that reaches the database, so it can refuse before any work.
package limits
