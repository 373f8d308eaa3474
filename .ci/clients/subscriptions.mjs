// Drives the npm graphql-ws client (the reference graphql-transport-ws
// implementation) against two live shopgraph instances on one PostgreSQL:
// a customer subscribed on instance B hears of the cancellation of their
// order made through instance A, and a failed (rolled-back) mutation in
// between delivers nothing. Exits non-zero on any failure.
//
//   node subscriptions.mjs http://127.0.0.1:PORT_A/graphql http://127.0.0.1:PORT_B/graphql
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [a, b] = process.argv.slice(2);
if (!a || !b) {
  console.error('usage: node subscriptions.mjs <instance A /graphql URL> <instance B /graphql URL>');
  process.exit(2);
}

async function gql(url, query, variables, token) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return res.json();
}

function fail(msg) {
  console.error(`subscriptions through graphql-ws: FAILED: ${msg}`);
  process.exit(1);
}

const signIn = await gql(a, 'mutation { signIn(input: {email: "customer@shopgraph.dev", password: "demo-mauve-tractor"}) { token } }');
const token = signIn.data?.signIn?.token ?? fail(`sign in: ${JSON.stringify(signIn)}`);
const catalog = await gql(a, '{ products(first: 50) { edges { node { variants { id inStock } } } } }');
const variant = catalog.data.products.edges.flatMap((e) => e.node.variants).find((v) => v.inStock) ?? fail('no variant in stock');
const placed = await gql(a, 'mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { order { id status } } }',
  { in: { lines: [{ variantId: variant.id, quantity: 1 }] } }, token);
const order = placed.data?.placeOrder?.order ?? fail(`placeOrder on A: ${JSON.stringify(placed)}`);

const client = createClient({
  url: b.replace(/^http/, 'ws'),
  webSocketImpl: WebSocket,
  connectionParams: { Authorization: `Bearer ${token}` },
  retryAttempts: 0,
});
const events = [];
let onEvent = () => {};
const ended = new Promise((resolve, reject) => {
  client.subscribe(
    { query: 'subscription($id: ID!) { orderUpdated(id: $id) { id status } }', variables: { id: order.id } },
    {
      next: (v) => { events.push({ at: performance.now(), v }); onEvent(); },
      error: (e) => reject(new Error(`subscription error: ${JSON.stringify(e)}`)),
      complete: resolve,
    },
  );
});
ended.catch((e) => fail(e.message));
// eventNumber resolves with the nth event (1-based), however early it came.
const eventNumber = (n, ms) => new Promise((resolve, reject) => {
  const check = () => { if (events.length >= n) { clearTimeout(timer); resolve(events[n - 1]); } };
  const timer = setTimeout(() => reject(new Error(`no event ${n} within ${ms} ms (got ${JSON.stringify(events.map((e) => e.v))})`)), ms);
  onEvent = check;
  check();
});

try {
  // First the order as it is: the subscription is in place on B.
  const first = await eventNumber(1, 10000);
  if (first.v.data?.orderUpdated?.status !== 'PENDING') fail(`first event: ${JSON.stringify(first.v)}`);
  // A mutation that fails (shipping an unpaid order is staff-only and a
  // conflict) changes nothing and must deliver nothing.
  const refused = await gql(a, 'mutation($id: ID!) { shipOrder(input: {id: $id}) { order { status } } }', { id: order.id }, token);
  if (!refused.errors) fail(`shipOrder as the customer unexpectedly succeeded: ${JSON.stringify(refused)}`);
  const sent = performance.now();
  const cancelled = await gql(a, 'mutation($id: ID!) { cancelOrder(input: {id: $id}) { order { status } } }', { id: order.id }, token);
  if (cancelled.data?.cancelOrder?.order?.status !== 'CANCELLED') fail(`cancelOrder on A: ${JSON.stringify(cancelled)}`);
  const ev = await eventNumber(2, 10000);
  if (ev.v.data?.orderUpdated?.status !== 'CANCELLED') fail(`event after the cancel: ${JSON.stringify(ev.v)}`);
  // The failed mutation would have come between the two.
  if (events.length !== 2) fail(`events: got ${events.length}, want 2: ${JSON.stringify(events.map((e) => e.v))}`);
  const ms = ev.at - sent;
  if (ms > 5000) fail(`the cancel on A reached B after ${ms.toFixed(0)} ms`);
  console.log(`subscriptions through graphql-ws: cancel on A seen on B ${ms.toFixed(1)} ms after the mutation was sent; the failed mutation delivered nothing`);
} catch (e) {
  fail(e.message);
} finally {
  await client.dispose();
}
