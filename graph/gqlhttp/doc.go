// Package gqlhttp is the HTTP side of the GraphQL endpoint: the defences
// that need no GraphQL machinery, and the one gqlgen transport that reads
// every GraphQL request and writes every response. Each status code and
// header has one owner, and a request meets them in this order:
//
//  1. Guard (middleware, before authentication and the in-flight cap):
//     429 RATE_LIMITED with Retry-After, before reading it, for a large
//     request whose caller's budget cannot pay for its size (Admit); 408
//     REQUEST_TIMEOUT for a body that does not arrive within
//     ReadTimeout, 400 BAD_REQUEST for one that cannot be read, 413
//     REQUEST_TOO_LARGE for bodies over the limit; 405 with
//     Allow: POST (METHOD_NOT_ALLOWED) for a mutation over GET; documents
//     the precheck finds too big, 200 with application/json or 400 with
//     graphql-response+json. It writes these itself with
//     Cache-Control: no-store. (It picks the media type by looking for
//     graphql-response+json in Accept, where the transport follows gqlgen's
//     media-range rules; the two differ only for an Accept naming neither
//     GraphQL type, and are kept as clients have always seen them.)
//  2. Deadline (middleware, inside the in-flight cap, outside
//     authentication): the context deadline of the request's work, the
//     viewer's lookup included. If the handler has not begun its response
//     by then (work stuck on a hanging database), it answers 503 TIMEOUT
//     with Retry-After in the handler's place; a response already begun
//     (a stream) and a mutation keep their own answer.
//  3. Transport (gqlgen's only transport) decides, when it writes the
//     response, from the graphql.Response and how the request ended:
//     - the status: 200 for an executed operation; for a request error
//     (refused before execution) 200 with application/json and 400 with
//     graphql-response+json, as the GraphQL-over-HTTP spec says; 429 for
//     a rationing refusal (TransportOptions.RetryAfter); 400 for a body
//     that is not JSON and for methods and media types it does not take
//     ("transport not supported"); 406 for a non-query over GET; 503
//     TIMEOUT when the deadline passed before execution; 500 for a panic
//     gqlgen did not recover; 304 for a GET whose ETag matches
//     If-None-Match;
//     - the body: with graphql-response+json an error status has no "data"
//     entry at all;
//     - Content-Type (the media type the request's Accept picks),
//     Retry-After (on 429), Vary: Authorization, Cache-Control (from the
//     operation's @cacheControl hints for a GET that executed without
//     errors: public only for anonymous callers; else no-store), ETag (on
//     every GET 200), Content-Length, and the caller's own headers
//     (TransportOptions.Headers: the X-RateLimit-* budget) on every
//     response but a public one, since a shared cache would replay them
//     to other callers.
//
// Outside this package: 401, and the 503s of a viewer lookup that failed,
// are graph/auth's (Tokens.Middleware), CORS
// headers and preflights rs/cors's, Content-Encoding and
// Vary: Accept-Encoding gzhttp's, X-Request-Id graph/reqlog's; graph's
// NewHandler puts them in order around these. The refusals' extensions.code
// values are set by whoever refuses (gqlgen, graph/limits, graph's error
// presenter); this package passes them through, except REQUEST_TOO_LARGE,
// REQUEST_TIMEOUT, BAD_REQUEST, METHOD_NOT_ALLOWED and TIMEOUT, which are
// its own.
//
// No state crosses between the layers: the transport learns the outcome
// from the calls it makes (gqlgen's CreateOperationContext, DispatchError,
// DispatchOperation) and keeps it in a value of its own for the one
// request. Two per-request records are handed across, each with one
// writer and one reader: gqlgen's APQ extension notes the verified hash in
// the operation's stats, and PersistedQueries registers the query once
// every limit has passed; graph/limits notes the caller's budget decision
// in a value graph's handler puts in the request's context
// (limits.WithReport), and the transport writes it as headers through
// TransportOptions.Headers without knowing what it is.
//
// gqlhttp must not import graph (which imports it), graph/auth or
// graph/limits (their answers come in through TransportOptions as
// functions), nor ent or anything else that reaches the database: it
// depends only on net/http, gqlgen's graphql packages, gqlparser and
// go-redis.
package gqlhttp
