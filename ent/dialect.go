package ent

// This file is written by hand. ent/shop sends the few statements ent
// cannot build (row and table locks, one multi-row conditional UPDATE), and
// their SQL differs between PostgreSQL and SQLite. It asks the client or
// transaction it is given which database it talks to, so that no caller has
// to carry the dialect alongside the client.

// Dialect is the ent dialect of the client's driver (dialect.Postgres or
// dialect.SQLite).
func (c *Client) Dialect() string { return c.driver.Dialect() }

// Dialect is the ent dialect of the driver the transaction was started on.
func (tx *Tx) Dialect() string { return tx.driver.Dialect() }
