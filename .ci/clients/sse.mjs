// Drives the npm graphql-sse client (GraphQL over Server-Sent Events, in
// its default "distinct connections mode": one POST with Accept:
// text/event-stream per subscription) through the scenario of live.mjs
// against two live shopgraph instances on one PostgreSQL. Exits non-zero
// on any failure.
//
//   node sse.mjs http://127.0.0.1:PORT_A/graphql http://127.0.0.1:PORT_B/graphql
import { createClient } from 'graphql-sse';
import { run } from './live.mjs';

const [a, b] = process.argv.slice(2);
if (!a || !b) {
  console.error('usage: node sse.mjs <instance A /graphql URL> <instance B /graphql URL>');
  process.exit(2);
}

const clients = [];
await run('subscriptions through graphql-sse', a, b, {
  subscribe: (url, query, variables, token, sink) => {
    const client = createClient({
      url,
      headers: token ? { Authorization: `Bearer ${token}` } : {},
      retryAttempts: 0,
    });
    clients.push(client);
    return client.subscribe({ query, variables }, sink);
  },
  dispose: async () => clients.forEach((c) => c.dispose()),
});
