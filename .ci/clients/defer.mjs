// Incremental delivery through a real client: graphql-tools' HTTP executor
// (meros for multipart/mixed, its own incremental merge) runs a query with
// @defer against a live server and must see an initial result followed by
// the deferred parts, which merged equal the same query without @defer.
// Usage: node defer.mjs http://127.0.0.1:8080/graphql
import { buildHTTPExecutor } from '@graphql-tools/executor-http';
import { parse } from 'graphql';
import { isDeepStrictEqual } from 'node:util';

const endpoint = process.argv[2];
if (!endpoint) {
  console.error('usage: node defer.mjs <graphql endpoint>');
  process.exit(2);
}
const executor = buildHTTPExecutor({ endpoint });

const details = `title variants { sku price { amount currencyCode } inStock } reviews(first: 2) { edges { node { rating body } } }`;
const plain = `{ products(first: 5, orderBy: {field: TITLE, direction: ASC}) { edges { node { id ${details} } } } }`;
const deferred = `{ products(first: 5, orderBy: {field: TITLE, direction: ASC}) { edges { node { id ...Details @defer(label: "details") } } } }
fragment Details on Product { ${details} }`;

const want = await executor({ document: parse(plain) });
if (want.errors || !want.data?.products?.edges?.length) {
  console.error('plain query: want data, got', JSON.stringify(want));
  process.exit(1);
}

const result = await executor({ document: parse(deferred) });
if (!(Symbol.asyncIterator in Object(result))) {
  console.error('deferred query: want an incremental stream, got one result', JSON.stringify(result));
  process.exit(1);
}
let parts = 0;
let first;
let last;
for await (const r of result) {
  parts++;
  last = structuredClone(r);
  first ??= last;
}
const failures = [];
if (parts < 2) failures.push(`want an initial result and deferred parts, got ${parts} result(s)`);
if (last?.errors) failures.push(`errors: ${JSON.stringify(last.errors)}`);
if (first?.data?.products?.edges?.some((e) => e.node.variants != null)) {
  failures.push(`the initial result already holds the deferred variants: ${JSON.stringify(first.data)}`);
}
if (!isDeepStrictEqual(last?.data, want.data)) {
  failures.push(`merged data differs from the plain query:\n got ${JSON.stringify(last?.data)}\nwant ${JSON.stringify(want.data)}`);
}
if (failures.length) {
  console.error('@defer through @graphql-tools/executor-http:\n' + failures.join('\n'));
  process.exit(1);
}
console.log(`@defer through @graphql-tools/executor-http: ${parts} results, merged data equals the plain query's`);
