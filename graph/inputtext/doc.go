// Package inputtext is the API's one rule for the text of the strings it
// accepts: every String and ID argument and input field, from the document
// or from variables, is printable UTF-8. PostgreSQL refuses NUL in text
// (and invalid UTF-8), SQLite would store both as sent, and no client has a
// use for the other control characters in a name, a slug or a search: an
// Extension refuses such an operation before it runs, as BAD_USER_INPUT
// naming each offending input path, so both databases behave alike and
// nothing is executed or written. Tabs and line breaks are allowed where
// the schema marks a field @multiline (descriptions, review bodies).
//
// Strings the API decodes from its own encodings (cursors) are checked
// with Problem where they are decoded.
//
// It imports gqlgen, gqlparser and apperr only; it must not import graph,
// ent or anything that reaches the database, so it can refuse before any
// work.
package inputtext
