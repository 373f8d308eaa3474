// Drives the npm graphql-ws client (the reference graphql-transport-ws
// implementation) through the scenario of live.mjs against two live
// shopgraph instances on one PostgreSQL. Exits non-zero on any failure.
//
//   node subscriptions.mjs http://127.0.0.1:PORT_A/graphql http://127.0.0.1:PORT_B/graphql
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { run } from './live.mjs';

const [a, b] = process.argv.slice(2);
if (!a || !b) {
  console.error('usage: node subscriptions.mjs <instance A /graphql URL> <instance B /graphql URL>');
  process.exit(2);
}

// One client (one socket) per token, as an app holds one per session.
const clients = new Map();
const clientFor = (url, token) => {
  const key = `${url} ${token ?? ''}`;
  if (!clients.has(key)) {
    clients.set(key, createClient({
      url: url.replace(/^http/, 'ws'),
      webSocketImpl: WebSocket,
      connectionParams: token ? { Authorization: `Bearer ${token}` } : {},
      retryAttempts: 0,
    }));
  }
  return clients.get(key);
};

await run('subscriptions through graphql-ws', a, b, {
  subscribe: (url, query, variables, token, sink) => clientFor(url, token).subscribe({ query, variables }, sink),
  dispose: () => Promise.all([...clients.values()].map((c) => c.dispose())),
});
