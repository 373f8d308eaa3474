// Package directive implements the schema's authorization directives
// (@auth, @hasRole, @ownerOrRole). Each is a pure check of the viewer in the
// context and, for ownership, of the parent object: no database calls. A
// denial returns an error instead of calling next, so gqlgen nulls the
// guarded (nullable) field and keeps the rest of the response. Which rows a
// viewer may see at all is decided in the data layer (graph/rowrules).
//
// It may import graph/auth, graph/apperr and ent's types; it must not import
// graph, graph/loaders or anything that reaches the database.
package directive
