// The users file as the gateway serves it (cli/users-feed.ts): a save reported while a read of the
// file is under way is read too, never folded into that read (which may have seen the version before).
import { writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { expect, it } from 'vitest';
import { UsersFeed } from '../../cli/users-feed.js';
import { quickPasswordHash } from '../support/premade-authn.js';

const usersFile = (uids: string[]): string =>
  `users:\n${uids.map((uid) => `  - { uid: ${uid}, password: "${quickPasswordHash(`${uid}-password`)}", groups: [] }`).join('\n')}\nserviceAccounts: []\n`;

it('a save reported while a read runs gets a read of its own: the last version of a burst is served', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gatehouse-users-feed-'));
  const path = join(dir, 'users.yaml');
  writeFileSync(path, usersFile(['a']), { mode: 0o600 });
  // A long poll: only the reads this test asks for (and the watcher's, which come later) happen.
  const feed = await UsersFeed.open({ path, logger: pino({ level: 'silent' }), pollMs: 60_000 });
  try {
    let during: Promise<void> | undefined;
    feed.subscribe(() => {
      if (during) return;
      // The next save lands while the read that found the previous one is still under way, and its
      // change is reported then, as the watcher does.
      writeFileSync(path, usersFile(['a', 'b', 'c']), { mode: 0o600 });
      during = feed.check();
    });
    writeFileSync(path, usersFile(['a', 'b']), { mode: 0o600 });
    await feed.check();
    await during;
    expect(feed.users.users.map((u) => u.uid)).toEqual(['a', 'b', 'c']);
    expect(feed.generation).toBe(3);
  } finally {
    feed.close();
    await rm(dir, { recursive: true, force: true });
  }
});
