// A node:test reporter that writes {"passed": n, "failed": n, "skipped": n, "failures": [...], "run": id} as JSON.
// Suites (describe blocks) are not counted; only the tests inside them. `run` is EVONORM_TEST_RUN
// (set by tools/run-tests.mjs; null for a single project's run), so a rerun can tell its own files.
export default async function* countReporter(source) {
  const summary = { passed: 0, failed: 0, skipped: 0, failures: [], run: process.env.EVONORM_TEST_RUN ?? null };
  for await (const event of source) {
    const data = event.data ?? {};
    if (data.details?.type === 'suite') continue;
    if (event.type === 'test:pass') {
      if (data.skip || data.todo) summary.skipped++;
      else summary.passed++;
    } else if (event.type === 'test:fail') {
      summary.failed++;
      summary.failures.push(`${data.file ?? ''} > ${data.name}`);
    }
  }
  yield JSON.stringify(summary) + '\n';
}
