// Package keyset turns a page of a list (a sort column, a direction, a limit
// and optional after/before positions) into SQL on ent's selectors: keyset
// bounds and a total order for one list (Apply), and one statement for the
// pages of many parents at once (Window, Union), so page 1,000 costs what
// page 1 costs and a nested list of any size is one statement per level.
//
// It knows nothing of GraphQL: cursors, argument validation and PageInfo are
// graph/relay's. It must not import graph or anything under it.
package keyset
