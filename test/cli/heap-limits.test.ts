// The primary keeps V8's young generation at its starting size, so a burst of long-lived allocation
// (a state parsed, records built) does not leave 32-64 MB of empty young generation in its RSS.
// Needs `npm run build` (the child loads dist/).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const HEAP_LIMITS = fileURLToPath(new URL('../../dist/cli/heap-limits.js', import.meta.url));

// Keeps 100,000 small objects at a time, in rounds: what a parse does to the young generation.
const BURST = `
  let keep = [];
  for (let i = 0; i < 6e5; i++) { keep.push({ a: i, b: "x" + i }); if (keep.length > 100000) keep = []; }
  const space = (await import('node:v8')).getHeapSpaceStatistics().find((s) => s.space_name === 'new_space');
  process.stdout.write(String(space.physical_space_size));
`;

describe('keepYoungGenerationSmall (the primary)', () => {
  it('a burst of surviving allocations leaves the young generation at a few MB', () => {
    const script = `(await import(${JSON.stringify(HEAP_LIMITS)})).keepYoungGenerationSmall();\n${BURST}`;
    const bytes = Number(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
    // V8's own default grows it to 32 MB (Node 20) or 64 MB (Node 24) here.
    expect(bytes).toBeGreaterThan(0);
    expect(bytes).toBeLessThanOrEqual(8 << 20);
  });
});
