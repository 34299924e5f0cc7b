// A network namespace of the test's own (`ip netns add`, which needs root and iproute2), its loopback
// up. Where it cannot be made, the reason, for the test to skip with visibly.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** Makes the namespace; null when it is ready, else why it could not be made. */
export async function addNetworkNamespace(name: string): Promise<string | null> {
  try {
    await run('ip', ['netns', 'add', name]);
    await run('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
    return null;
  } catch (error) {
    return `cannot create a network namespace here (needs root and iproute2): ${(error as Error).message.split('\n')[0]}`;
  }
}

/** Deletes it (and whatever the tests made in it); never throws. */
export async function deleteNetworkNamespace(name: string): Promise<void> {
  await run('ip', ['netns', 'del', name]).catch(() => undefined);
}
