// Runs graphql-http's GraphQL-over-HTTP audits (every MUST and SHOULD)
// against a live server and exits non-zero if any MUST or SHOULD fails.
//
//   node audit.mjs http://127.0.0.1:8080/graphql
import { serverAudits } from 'graphql-http';

const url = process.argv[2] ?? 'http://127.0.0.1:8080/graphql';
const results = [];
for (const audit of serverAudits({ url })) {
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
console.log(`graphql-http audit: ${results.length} audits, ${counts.ok} passed, ${failedMust.length} MUST failed, ${failedShould.length} SHOULD failed, ${counts.warn} warnings (${url})`);
process.exit(failedMust.length + failedShould.length > 0 ? 1 : 0);
