// A state document made into a snapshot from its bytes, one task at a time (cluster/state-scan.ts),
// gives the very snapshot the whole-document parse gives, and an invalid document the very error.
import { describe, expect, it } from 'vitest';
import { parseMasterState, type ParseStateOptions } from '../../cluster/index.js';
import { parseJsonBytes } from '../../cluster/json-bytes.js';
import { parseStateBytes, scanState } from '../../cluster/state-scan.js';
import { fixtureText, HARBOR, testResolver } from '../support/fixtures.js';
import { masterState } from '../support/master-state.js';

const OPTIONS: ParseStateOptions = { source: { kind: 'file', origin: 'state.json' }, fetchedAt: 1_700_000_000_000, resolveHost: testResolver };
const AGENT = '3e5a7c9b-1d2f-4a6b-8c0d-2e4f6a8b0c1d-S1';

function smallState(): Record<string, unknown> {
  return masterState({
    leader: 'master@127.0.0.1:5050',
    agents: [{ id: AGENT, host: '10.0.0.1', hostname: 'agent-1.test' }],
    frameworks: [
      {
        id: 'fw-1', name: 'marathon', pid: 'scheduler@127.0.0.1:8080',
        tasks: [
          { id: 'web.1', name: 'web', agent: AGENT, ports: '[31000-31000]', labels: { note: 'ünïcödé "quoted" \\ [brackets] {braces}' } },
          { id: 'db.1', name: 'db', agent: AGENT, ports: '[31001-31001]' },
        ],
      },
      { id: 'fw-2', name: 'other', pid: 'scheduler@127.0.0.1:9090', tasks: [{ id: 'job.1', name: 'job', agent: AGENT }] },
    ],
  }) as Record<string, unknown>;
}

async function whole(text: string): Promise<unknown> {
  return parseMasterState(parseJsonBytes(Buffer.from(text), 'not JSON'), OPTIONS);
}

async function outcome(parse: () => Promise<unknown>): Promise<unknown> {
  try {
    return { snapshot: await parse() };
  } catch (error) {
    return { error: (error as Error).message, code: (error as { code?: string }).code };
  }
}

const framework = (doc: Record<string, unknown>, n: number) => (doc['frameworks'] as Record<string, unknown>[])[n]!;

describe('parseStateBytes gives the snapshot the whole-document parse gives', () => {
  const cases: [string, () => Promise<string> | string][] = [
    ['the hand-written fixture (every case the DNS tests hold to)', () => fixtureText(HARBOR)],
    ['a small state, compact', () => JSON.stringify(smallState())],
    ['the same state pretty-printed with tabs and CRLF', () => JSON.stringify(smallState(), null, '\t').replaceAll('\n', '\r\n')],
    ['completed tasks, unreachable tasks and completed frameworks (lists nobody reads)', () => {
      const doc = smallState();
      framework(doc, 0)['completed_tasks'] = [framework(doc, 1)['tasks'], { id: 'old.1' }];
      framework(doc, 0)['unreachable_tasks'] = [];
      doc['completed_frameworks'] = [{ id: 'fw-old', tasks: [{ id: 'gone.1' }] }];
      doc['orphan_tasks'] = [{ id: 'orphan.1' }];
      return JSON.stringify(doc);
    }],
    ['a "tasks" key given twice: the last one counts', () =>
      JSON.stringify(smallState()).replace('"tasks":[', '"tasks":[{"id":"first-list.1","name":"first","slave_id":"x","state":"TASK_RUNNING"}],"tasks":[')],
    ['a "tasks" key written with an escape', () => JSON.stringify(smallState()).replace('"tasks":', '"tas\\u006bs":')],
    ['"tasks" that is not a list', () => JSON.stringify(smallState()).replace('"tasks":[', '"tasks":5,"x":[')],
    ['a "frameworks" key given twice', () =>
      JSON.stringify(smallState()).replace('"frameworks":', '"frameworks":[{"id":"fw-dropped","tasks":[{"id":"a.1"}]}],"frameworks":')],
    ['frameworks that are not objects beside ones that are', () => JSON.stringify(smallState()).replace('"frameworks":[', '"frameworks":[7,null,"x",[1],')],
    ['no frameworks at all', () => JSON.stringify({ ...smallState(), frameworks: undefined })],
  ];
  it.each(cases)('%s', async (_name, make) => {
    const text = await make();
    const expected = await whole(text);
    expect(scanState(Buffer.from(text))).not.toBeNull();
    expect(await parseStateBytes(Buffer.from(text), OPTIONS, 'not JSON')).toEqual(expected);
  });
});

describe('an invalid document fails as the whole-document parse fails', () => {
  const good = JSON.stringify(smallState());
  const cases: [string, string][] = [
    ['cut short inside a task', good.slice(0, good.indexOf('"db.1"') + 3)],
    ['a task that is not JSON', good.replace('"id":"db.1"', '"id":db.1')],
    ['a comma missing between two tasks', good.replace('},{"id":"db.1"', '}{"id":"db.1"')],
    ['a trailing comma in a task list', JSON.stringify({ ...smallState(), frameworks: [{ id: 'fw', tasks: ['END'] }] }).replace('"END"]', '{"id":"a.1"},]')],
    ['a completed task that is not JSON', good.replace('"tasks":[', '"completed_tasks":[{"id":x}],"tasks":[')],
    ['text after the document', `${good} {}`],
    ['a byte-order mark first', `\uFEFF${good}`],
    ['a list, not an object', '[1,2,3]'],
    ['an agent field that is not JSON', good.replace('"hostname":"agent-1.test"', '"hostname":agent')],
    ['nothing', ''],
  ];
  it.each(cases)('%s', async (_name, text) => {
    const expected = await outcome(() => whole(text));
    expect(expected).toHaveProperty('error');
    expect(await outcome(() => parseStateBytes(Buffer.from(text), OPTIONS, 'not JSON'))).toEqual(expected);
  });
});

describe('scanState', () => {
  it('holds the document without its tasks, and parses each task only when it is read', () => {
    const text = JSON.stringify(smallState());
    const scanned = scanState(Buffer.from(text))!;
    const frameworks = (scanned.doc as Record<string, unknown>)['frameworks'] as Record<string, unknown>[];
    expect(frameworks.map((f) => f['tasks'])).toEqual([[], []]);
    const tasks = scanned.tasksOf(frameworks[0]!)![Symbol.iterator]();
    const first = tasks.next().value as Record<string, unknown>;
    expect(first['id']).toBe('web.1');
    expect((tasks.next().value as Record<string, unknown>)['id']).toBe('db.1');
    expect(tasks.next().done).toBe(true);
    expect(scanned.tasksOf({})).toBeNull();
  });
});
