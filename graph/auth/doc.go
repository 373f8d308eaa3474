// Package auth knows who is asking: the Viewer in the context, signed access
// tokens (JWT, HS256) and the HTTP middleware that turns a bearer token into
// a Viewer, and password hashing (argon2id).
//
// A request without an Authorization header is anonymous. A request with a
// bad, expired or tampered token is refused with UNAUTHENTICATED; it is
// never served as anonymous.
//
// Password hashing itself is ent/shop's (sign-in is a domain rule); auth
// forwards to it. It may import ent (Tokens reads the viewer's id and role
// through the client it is given) and ent/shop; it must not import graph,
// graph/loaders or a database driver.
package auth
