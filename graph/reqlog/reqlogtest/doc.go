// Package reqlogtest gives tests a log destination they can read while the
// server under test writes to it, and wait on: a test that needs a line the
// server writes after answering (reqlog's access line comes last) waits for
// that line to appear instead of sleeping and hoping.
//
// It is for tests only; it imports only the standard library.
package reqlogtest
