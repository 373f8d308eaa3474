// Runs graphql-http's GraphQL-over-HTTP audits (every MUST and SHOULD)
// against a live server and exits non-zero if any MUST or SHOULD fails.
//
//   node audit.mjs http://127.0.0.1:8080/graphql
//   AUDIT_TOKEN=<bearer token> node audit.mjs <url>   # as that user
//
// In production introspection is open to staff only, and one MUST audit
// sends an introspection query (__type with a variable): run there with a
// staff token, every audit must pass as it does in development.
import { serverAudits } from 'graphql-http';

const url = process.argv[2] ?? 'http://127.0.0.1:8080/graphql';
const token = process.env.AUDIT_TOKEN;
const fetchFn = token
  ? (input, init = {}) => {
      const headers = new Headers(init.headers);
      headers.set('Authorization', `Bearer ${token}`);
      return fetch(input, { ...init, headers });
    }
  : undefined;
const results = [];
for (const audit of serverAudits({ url, fetchFn })) {
  results.push({ audit, result: await audit.fn() });
}
const counts = { ok: 0, warn: 0, error: 0 };
for (const { audit, result } of results) {
  counts[result.status]++;
  if (result.status !== 'ok') {
    let detail = '';
    if (result.response) {
      const body = await result.response.text().catch(() => '');
      detail = ` [HTTP ${result.response.status} ${result.response.headers.get('content-type')}] ${body.slice(0, 200)}`;
    }
    console.log(`${result.status.toUpperCase()} ${audit.name}: ${result.reason}${detail}`);
  }
}
const failedMust = results.filter(({ audit, result }) => result.status !== 'ok' && audit.name.startsWith('MUST'));
const failedShould = results.filter(({ audit, result }) => result.status !== 'ok' && audit.name.startsWith('SHOULD'));
console.log(`graphql-http audit${token ? ' (signed in)' : ''}: ${results.length} audits, ${counts.ok} passed, ${failedMust.length} MUST failed, ${failedShould.length} SHOULD failed, ${counts.warn} warnings (${url})`);
process.exit(failedMust.length + failedShould.length > 0 ? 1 : 0);
