// Package apperr is shopgraph's one application error type. Code is the
// stable, client-facing classification that the error presenter puts in
// extensions.code; anything that is not an *Error is an internal error and
// its text never reaches a client.
//
// It imports nothing of shopgraph's, so every layer above ent may use it; it
// must not import graph, ent or any driver.
package apperr
