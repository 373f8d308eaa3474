// Package storetest gives tests a fresh, migrated database of either dialect
// and a driver that counts the statements sent to it.
//
// PostgreSQL tests create a uniquely named database on the server named by
// TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres)
// and drop it afterwards. A PostgreSQL that cannot be reached fails the test:
// CI must not go green by skipping half of the suite.
//
// It is for tests only: nothing but _test.go files may import it, and it
// must not import graph or server.
package storetest
