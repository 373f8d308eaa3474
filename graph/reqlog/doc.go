// Package reqlog gives every HTTP request an id and a structured access log
// line, and lets any code below the handler find both through the context.
//
// It imports only the standard library; it must not import graph or ent.
package reqlog
