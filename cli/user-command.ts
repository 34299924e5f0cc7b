// `gatehouse user add|list|remove`: manage the users file (authn.users) with the same rules the
// gateway applies when it reads it. Writes replace the file atomically, mode 0600.
import { addOrUpdateUser, loadUsers, passwordProblem, removeUser, uidProblem } from '../authn/index.js';
import { loadConfig } from '../config/index.js';
import { parseCommandArgs, UsageError } from './arguments.js';
import { EXIT_INVALID_INPUT, EXIT_OK } from './exit-codes.js';
import { readPassword } from './password-input.js';

export async function userCommand(args: readonly string[]): Promise<number> {
  const { values, positionals } = parseCommandArgs(
    'user',
    args,
    { groups: { type: 'string' }, config: { type: 'string', short: 'c', default: 'config/gatehouse.yaml' } },
    true,
  );
  const [action, ...rest] = positionals;
  const configFile = values.config as string;
  switch (action) {
    case 'add':
      return add(expectOne('add', rest), values.groups as string | undefined, configFile);
    case 'list':
      if (rest.length) throw new UsageError(`gatehouse user list: takes no arguments (got "${rest.join(' ')}")`);
      return list(configFile);
    case 'remove':
      return remove(expectOne('remove', rest), configFile);
    case undefined:
      throw new UsageError('gatehouse user: say add, list or remove');
    default:
      throw new UsageError(`gatehouse user: unknown action "${action}" (add, list or remove)`);
  }
}

function expectOne(action: string, rest: readonly string[]): string {
  if (rest.length !== 1)
    throw new UsageError(
      `gatehouse user ${action}: needs exactly one UID${rest.length ? ` (got ${rest.length}: ${rest.map((r) => `"${r}"`).join(' ')})` : ''}`,
    );
  return rest[0]!;
}

async function add(uid: string, groupsText: string | undefined, configFile: string): Promise<number> {
  // Checked before the password is asked for: nobody types a password twice to learn the uid is wrong.
  const badUid = uidProblem(uid);
  if (badUid) throw new UsageError(`gatehouse user add: ${badUid}`);
  const config = await loadConfig(configFile);
  // A broken users file is reported before anyone types a password for it.
  await loadUsers(config.authn.users).catch((error: unknown) => {
    if ((error as { cause?: NodeJS.ErrnoException }).cause?.code !== 'ENOENT') throw error;
  });
  const password = await readPassword(uid);
  if (!password) throw new UsageError('gatehouse user add: no password on stdin (type it on a terminal, or pipe it as the first line)');
  const weak = passwordProblem(password);
  if (weak) throw new UsageError(`gatehouse user add: ${weak}`);
  const groups = groupsText === undefined ? undefined : groupsText.split(',').map((g) => g.trim()).filter(Boolean);
  const result = await addOrUpdateUser(config.authn.users, uid, password, groups);
  process.stdout.write(`${result} user ${uid} in ${config.authn.users}\n`);
  return EXIT_OK;
}

async function list(configFile: string): Promise<number> {
  const config = await loadConfig(configFile);
  const file = await loadUsers(config.authn.users);
  const rows = [
    ...file.users.map((u) => [u.uid, 'user', u.groups.join(',')]),
    ...file.serviceAccounts.map((s) => [s.uid, 'service account', s.groups.join(',')]),
  ];
  const width = Math.max(3, ...rows.map((r) => r[0]!.length));
  process.stdout.write(`${'UID'.padEnd(width)}  ${'KIND'.padEnd(15)}  GROUPS\n`);
  for (const [uid, kind, groups] of rows) process.stdout.write(`${uid!.padEnd(width)}  ${kind!.padEnd(15)}  ${groups || '-'}\n`.replace(/ +\n$/, '\n'));
  return EXIT_OK;
}

async function remove(uid: string, configFile: string): Promise<number> {
  const config = await loadConfig(configFile);
  if (!(await removeUser(config.authn.users, uid))) {
    process.stderr.write(`gatehouse user remove: no user "${uid}" in ${config.authn.users}\n`);
    return EXIT_INVALID_INPUT;
  }
  process.stdout.write(`removed ${uid} from ${config.authn.users}\n`);
  return EXIT_OK;
}
