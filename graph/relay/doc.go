// Package relay implements the Relay conventions the schema promises: opaque
// global IDs ("Type:id", base64url), validation of a connection's
// first/after/last/before into a keyset.Page, opaque cursors that carry a
// row's sort key and ID, and turning a page's rows into edges with PageInfo.
//
// It owns no SQL: the keyset conditions, orders and per-parent windows a page
// becomes are ent/keyset's. It must not import graph or a database driver.
package relay
