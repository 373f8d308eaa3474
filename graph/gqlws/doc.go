// Package gqlws is the WebSocket side of the GraphQL endpoint: a gqlgen
// transport speaking graphql-transport-ws, the protocol of the npm
// graphql-ws library
// (https://github.com/enisdenjo/graphql-ws/blob/master/PROTOCOL.md), over
// github.com/coder/websocket.
//
// # Why not gqlgen's transport.Websocket
//
// Clients decide what to do from the close code alone (graphql-ws's client
// retries some and gives up on others), so the codes are the contract.
// gqlgen's transport (v0.17.98) departs from the protocol where it
// matters:
//   - an init timeout closes 1002 instead of 4408, and InitTimeout
//     defaults to 0, which waits for connection_init forever;
//   - a subscribe whose id is running silently replaces the old operation
//     instead of closing 4409;
//   - a second connection_init closes 1002 instead of 4429;
//   - an InitFunc error closes 1000 (normal closure), so a rejected client
//     cannot tell it was refused (the protocol recommends 4403);
//   - returning the payload from InitFunc, the usual way to keep it,
//     echoes it (the token) back in connection_ack.
//
// # Close codes
//
// Every way a connection ends is classified in errors.go:
//
//	4400 an invalid message: not JSON, unknown type, a missing id or
//	     payload, a subscribe payload without a query
//	4401 subscribe before connection_ack
//	4403 Options.Init refused (its error as the reason), or the context
//	     Init returned ended ("token expired" at its deadline)
//	4406 the handshake did not negotiate graphql-transport-ws (the
//	     handshake is accepted without a subprotocol first, as graphql-ws
//	     does; browsers may fail such a handshake on their side instead)
//	4408 no connection_init within Options.InitTimeout
//	4409 subscribe with the id of a running operation
//	4429 a second connection_init
//	4500 a panic while handling a message
//	1001 keepalive: no message from the client for an interval after a ping
//	1009 a message over Options.MaxMessageBytes (sent by the library)
//	1012 Transport.Shutdown
//	1013 the client reads so slowly that its send queue filled
//
// A connection the client closes ends with the client's code (the library
// echoes it); one that breaks (network, write timeout) with 1006, which is
// never sent. Options.Closed receives these.
//
// # Goroutines
//
// A connection runs its reader (the goroutine calling Do), a writer that
// alone writes to the socket from a bounded queue, a keepalive goroutine
// (init timeout and pings), a short-lived one for the close handshake, and
// one per running operation. All but the operations end before Do returns;
// an operation ends when its ResponseHandler notices its cancelled context,
// which Do does not wait for, and Shutdown does, up to its context.
package gqlws
