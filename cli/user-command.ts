// `gatehouse user add UID [--groups a,b] [--config FILE]`: adds or updates a user; the password is
// the first line of stdin (so it never shows in the process list or shell history).
import { addOrUpdateUser } from '../authn/index.js';
import { loadConfig } from '../config/index.js';
import { parseCommandArgs, UsageError } from './arguments.js';
import { EXIT_OK } from './exit-codes.js';

async function readFirstLine(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer);
    if (Buffer.concat(chunks).includes(10)) break;
  }
  return Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
}

export async function userCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'user',
    args,
    { groups: { type: 'string' }, config: { type: 'string', short: 'c', default: 'config/gatehouse.yaml' } },
    true,
  );
  const [action, uid, ...rest] = positionals;
  if (action !== 'add' || !uid || rest.length) throw new UsageError('gatehouse user: usage: gatehouse user add UID [--groups a,b] (password on stdin)');
  const config = await loadConfig(values.config as string);
  if (process.stdin.isTTY) process.stderr.write(`password for ${uid}: `);
  const password = await readFirstLine();
  if (!password) throw new UsageError('gatehouse user add: no password on stdin');
  const groups = typeof values.groups === 'string' ? values.groups.split(',').map((g) => g.trim()).filter(Boolean) : undefined;
  const result = await addOrUpdateUser(config.authn.users, uid, password, groups);
  process.stdout.write(`${result} user ${uid} in ${config.authn.users}\n`);
  return EXIT_OK;
}
