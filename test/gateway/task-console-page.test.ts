// The task console's HTML without a browser (test/e2e/task-console.test.ts drives it in chromium):
// everything from the cluster and the query is escaped, scale and restart controls only for a
// Marathon app's task, and a task that is gone still shows its app's tasks when the page knew the app.
import { describe, expect, it } from 'vitest';
import { parseMasterState, type Snapshot } from '../../cluster/index.js';
import { taskConsolePage } from '../../gateway/pages/task-console.js';

const HOSTILE = '<script>alert("x")</script>';
const ESCAPED = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;';

async function snapshot(appId: string | null, taskId = 'web.1'): Promise<Snapshot> {
  const doc = {
    leader: 'master@127.0.0.1:5050',
    slaves: [{ id: 'S0', pid: 'slave(1)@127.0.0.1:5051', hostname: 'agent-host', resources: { cpus: 2, mem: 1024 } }],
    frameworks: [{
      id: 'fw-1', name: 'marathon', tasks: [
        { id: taskId, name: 'web', framework_id: 'fw-1', slave_id: 'S0', state: 'TASK_RUNNING', resources: { cpus: 0.5, mem: 64 }, statuses: [] },
        { id: 'web.2', name: 'web', framework_id: 'fw-1', slave_id: 'S0', state: 'TASK_KILLED', resources: { cpus: 0.5, mem: 64 }, statuses: [] },
      ],
    }],
  };
  const parsed = await parseMasterState(doc, { source: { kind: 'local', origin: 'test' }, fetchedAt: 0, resolveHost: async () => ['127.0.0.1'] });
  return {
    ...parsed,
    generation: 1,
    frameworks: parsed.frameworks.map((f) => ({ ...f, tasks: f.tasks.map((t) => ({ ...t, appId })) })),
    apps: appId ? [{ id: appId, labels: {}, instances: 3, portDefinitions: [], taskIds: [taskId, 'web.2'] }] : [],
  };
}

const page = async (over: { appId?: string | null; taskId?: string; ask?: string; appHint?: string | null; uid?: string }) =>
  taskConsolePage({
    uid: over.uid ?? 'admin',
    snapshot: await snapshot(over.appId === undefined ? '/web' : over.appId, over.taskId),
    taskId: over.ask ?? over.taskId ?? 'web.1',
    taskName: null,
    appHint: over.appHint ?? null,
  });

describe('the task console page', () => {
  it.each([
    { name: 'a task id', over: { taskId: HOSTILE } },
    { name: 'an app id', over: { appId: HOSTILE } },
    { name: 'a task id asked for that is not in the cluster', over: { ask: HOSTILE } },
    { name: 'an app hint from the query', over: { ask: 'gone', appHint: HOSTILE } },
    { name: 'the user id', over: { uid: HOSTILE } },
  ])('escapes $name', async ({ over }) => {
    const html = await page(over);
    expect(html).not.toContain(HOSTILE);
    expect(html).toContain(ESCAPED);
  });

  it.each([
    {
      name: 'a Marathon app\'s task: controls with the app\'s instances, its tasks linked, its sandbox files',
      over: {},
      has: ['id="scale"', 'id="restart"', 'value="3"', 'href="/?task=web.2"', 'data-app="/web"', '/agent/S0/files/read?path=%2Fframeworks%2Ffw-1%2Fexecutors%2Fweb.1%2Fruns%2Flatest%2Fstdout'],
      lacks: [],
    },
    { name: 'a task of no app: no controls, no app tasks', over: { appId: null }, has: ['data-app=""', 'id="log"'], lacks: ['id="scale"', 'id="app-tasks"'] },
    {
      name: 'a task that is gone, the app known from the page: the app\'s tasks, the controls',
      over: { ask: 'gone.1', appHint: '/web' },
      has: ['not in the cluster\'s current state', 'id="app-tasks"', 'href="/?task=web.1"', 'id="restart"'],
      lacks: ['id="task-state"'],
    },
    { name: 'a task that is gone, no app known: only the reason', over: { ask: 'gone.1' }, has: ['not in the cluster\'s current state'], lacks: ['id="app-tasks"', 'id="scale"'] },
    { name: 'an app hint never replaces a found task\'s own (lack of an) app', over: { appId: null, appHint: '/other' }, has: ['data-app=""'], lacks: ['/other'] },
  ])('$name', async ({ over, has, lacks }) => {
    const html = await page(over);
    for (const text of has) expect(html).toContain(text);
    for (const text of lacks) expect(html).not.toContain(text);
  });
});
