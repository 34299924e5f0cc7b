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

// A third of a burst's objects live on, spread over every page: an ordinary full collection keeps
// nearly all those pages committed (what a rebuild leaves).
const FRAGMENTED = `
  const v8 = await import('node:v8');
  const keep = [];
  let drop = [];
  for (let i = 0; i < 9e5; i++) { const o = { i, s: 'x' + i }; if (i % 3 === 0) keep.push(o); else drop.push(o); }
  drop = null;
`;

describe('compactHeapAfterWork (the primary)', () => {
  it('once the work is over, gives back the pages of a fragmented heap (one compacting collection)', () => {
    const script = `${FRAGMENTED}
      const { compactHeapAfterWork } = await import(${JSON.stringify(HEAP_LIMITS)});
      const compaction = compactHeapAfterWork({ quietMs: 10, minIntervalMs: 0, slackBytes: 1 << 20 });
      compaction.afterWork();
      const started = Date.now();
      while (compaction.count === 0 && Date.now() - started < 10000) await new Promise((r) => setTimeout(r, 20));
      const old = v8.getHeapSpaceStatistics().find((s) => s.space_name === 'old_space');
      process.stdout.write(JSON.stringify({ count: compaction.count, total: old.space_size, used: old.space_used_size, kept: keep.length }));
    `;
    const out = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
    expect(out.count).toBe(1);
    expect(out.kept).toBe(300000);
    // The old generation: after an ordinary full collection 1.5x (Node 24) to 2x (Node 20) what lives stays committed.
    expect(out.total).toBeLessThan(out.used * 1.3);
  });

  it('leaves a heap alone that did not grow since the last compaction', () => {
    const script = `
      const { compactHeapAfterWork } = await import(${JSON.stringify(HEAP_LIMITS)});
      const compaction = compactHeapAfterWork({ quietMs: 10, minIntervalMs: 0, slackBytes: 1 << 20 });
      compaction.afterWork();
      await new Promise((r) => setTimeout(r, 100));
      const first = compaction.count;
      compaction.afterWork();
      await new Promise((r) => setTimeout(r, 100));
      process.stdout.write(JSON.stringify([first, compaction.count]));
    `;
    // The first check compacts (a few MB of heap, nothing measured yet); the second finds nothing new to give back.
    const [first, second] = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' }));
    expect([first, second]).toEqual([1, 1]);
  });
});
