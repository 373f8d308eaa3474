// The scenario both subscription clients are checked with (subscriptions.mjs
// over graphql-ws, sse.mjs over graphql-sse), against two live shopgraph
// instances on one PostgreSQL: mutations go to instance A, subscribers
// listen on instance B, so every event crosses instances (pg_notify).
//
//   - a storefront (anonymous) subscribed to inventoryChanged on B hears of
//     stock bought on A (placeOrder); a checkout that fails (OUT_OF_STOCK,
//     rolled back) delivers nothing;
//   - the customer subscribed to orderUpdated on B hears of the order's
//     cancellation on A; a refused mutation in between (shipOrder by the
//     customer) delivers nothing;
//   - each delivery comes within 1 s of the mutation being sent.
//
// A transport supplies subscribe(url, query, variables, token, sink), which
// starts one subscription (sink: { next, error, complete }) and returns a
// function that ends it, and dispose(), which closes everything.

const withinMs = 1000;

export async function gql(url, query, variables, token) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json', ...(token ? { Authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query, variables }),
  });
  return res.json();
}

// recorder collects one subscription's events; nth(n, ms) resolves with the
// nth (1-based) however early it came.
function recorder(name, fail) {
  const events = [];
  let waiter = () => {};
  return {
    events,
    sink: {
      next: (v) => { events.push({ at: performance.now(), v }); waiter(); },
      error: (e) => fail(`${name}: subscription error: ${e instanceof Error ? e.message : JSON.stringify(e)}`),
      complete: () => {},
    },
    nth: (n, ms) => new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name}: no event ${n} within ${ms} ms (got ${JSON.stringify(events.map((e) => e.v))})`)), ms);
      waiter = () => { if (events.length >= n) { clearTimeout(timer); resolve(events[n - 1]); } };
      waiter();
    }),
  };
}

export async function run(label, a, b, transport) {
  const fail = (msg) => {
    console.error(`${label}: FAILED: ${msg}`);
    process.exit(1);
  };
  const delivered = (what, ev, sent) => {
    const ms = ev.at - sent;
    if (ms > withinMs) fail(`${what} reached B after ${ms.toFixed(0)} ms (want within ${withinMs} ms)`);
    return ms;
  };
  const signIn = await gql(a, 'mutation { signIn(input: {email: "customer@shopgraph.dev", password: "demo-mauve-tractor"}) { token } }');
  const token = signIn.data?.signIn?.token ?? fail(`sign in: ${JSON.stringify(signIn)}`);
  const catalog = await gql(a, '{ products(first: 50) { edges { node { id variants { id inStock } } } } }');
  const product = catalog.data.products.edges.map((e) => e.node).find((p) => p.variants.some((v) => v.inStock)) ?? fail('no product in stock');
  const variant = product.variants.find((v) => v.inStock);
  const place = (qty) => gql(a, 'mutation($in: PlaceOrderInput!) { placeOrder(input: $in) { order { id status } } }',
    { in: { lines: [{ variantId: variant.id, quantity: qty }] } }, token);
  const stops = [];
  try {
    // Stock: the storefront first gets each variant as it is.
    const shop = recorder('inventoryChanged', fail);
    stops.push(transport.subscribe(b, 'subscription($p: [ID!]!) { inventoryChanged(productIds: $p) { id inStock } }',
      { p: [product.id] }, null, shop.sink));
    const initial = product.variants.length;
    await shop.nth(initial, 10000);
    const short = await place(1000);
    if (short.errors?.[0]?.extensions?.code !== 'OUT_OF_STOCK') fail(`a checkout over the stock: ${JSON.stringify(short)}`);
    let sent = performance.now();
    const placed = await place(1);
    const order = placed.data?.placeOrder?.order ?? fail(`placeOrder on A: ${JSON.stringify(placed)}`);
    const bought = await shop.nth(initial + 1, 10000);
    if (bought.v.data?.inventoryChanged?.id !== variant.id) fail(`inventory event after the checkout: ${JSON.stringify(bought.v)}`);
    const stockMs = delivered('the checkout on A', bought, sent);

    // The order: first as it is, then its cancellation.
    const mine = recorder('orderUpdated', fail);
    stops.push(transport.subscribe(b, 'subscription($id: ID!) { orderUpdated(id: $id) { id status } }', { id: order.id }, token, mine.sink));
    const first = await mine.nth(1, 10000);
    if (first.v.data?.orderUpdated?.status !== 'PENDING') fail(`first orderUpdated event: ${JSON.stringify(first.v)}`);
    const refused = await gql(a, 'mutation($id: ID!) { shipOrder(input: {id: $id}) { order { status } } }', { id: order.id }, token);
    if (!refused.errors) fail(`shipOrder as the customer unexpectedly succeeded: ${JSON.stringify(refused)}`);
    sent = performance.now();
    const cancelled = await gql(a, 'mutation($id: ID!) { cancelOrder(input: {id: $id}) { order { status } } }', { id: order.id }, token);
    if (cancelled.data?.cancelOrder?.order?.status !== 'CANCELLED') fail(`cancelOrder on A: ${JSON.stringify(cancelled)}`);
    const ev = await mine.nth(2, 10000);
    if (ev.v.data?.orderUpdated?.status !== 'CANCELLED') fail(`orderUpdated after the cancel: ${JSON.stringify(ev.v)}`);
    const cancelMs = delivered('the cancel on A', ev, sent);
    await shop.nth(initial + 2, 10000); // the stock the cancel returned

    // The failed mutations would have come between those events.
    await new Promise((r) => setTimeout(r, 200));
    if (mine.events.length !== 2) fail(`orderUpdated events: got ${mine.events.length}, want 2: ${JSON.stringify(mine.events.map((e) => e.v))}`);
    if (shop.events.length !== initial + 2) fail(`inventoryChanged events: got ${shop.events.length}, want ${initial + 2}: ${JSON.stringify(shop.events.map((e) => e.v))}`);
    console.log(`${label}: checkout on A seen on B by inventoryChanged ${stockMs.toFixed(1)} ms after the mutation was sent; cancel on A seen on B by orderUpdated ${cancelMs.toFixed(1)} ms after; the failed checkout and the refused shipOrder delivered nothing`);
  } catch (e) {
    fail(e.message);
  } finally {
    stops.forEach((stop) => stop());
    await transport.dispose();
  }
}
