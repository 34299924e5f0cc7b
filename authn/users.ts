// The users file (`authn.users`): people with salted password hashes and groups, service accounts
// with public keys. Validated with positions like every config file; written atomically, mode 0600.
import { createPublicKey, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { chmod, mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { ConfigError, checkSchema, compileSchema, parseYamlFile, yamlLibrary, type Schema } from '../config/index.js';
import { AuthnError } from './errors.js';
import { checkPassword, dummyHash, hashCost, hashPassword, hashProblem } from './password-hash.js';
import { algorithmOf } from './trusted-keys.js';

export interface User {
  readonly uid: string;
  readonly password: string;               // scrypt hash
  readonly groups: readonly string[];
}

export interface ServiceAccount {
  readonly uid: string;
  readonly publicKey: string;              // PEM, read from publicKeyFile when that is set
  /** As written in the file (relative to the users file), kept so that a rewrite keeps the reference. */
  readonly publicKeyFile?: string;
  readonly groups: readonly string[];
}

export interface UsersFile {
  readonly users: readonly User[];
  readonly serviceAccounts: readonly ServiceAccount[];
}

// One rule for uids, shared by the file's schema and `gatehouse user add`: what the command accepts,
// the file accepts, so a command can never write a file that the gateway then refuses.
const UID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$';
export const UID_RULE = '1 to 64 characters: letters, digits, ".", "_", "@" and "-", starting with a letter or digit';
export const MIN_PASSWORD_LENGTH = 8;
const UID = { type: 'string', pattern: UID_PATTERN };
const SCHEMA: Schema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    users: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['uid', 'password'],
        properties: { uid: UID, password: { type: 'string' }, groups: { type: 'array', items: { type: 'string' } } },
      },
    },
    serviceAccounts: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['uid'],
        properties: {
          uid: UID,
          publicKey: { type: 'string' },
          publicKeyFile: { type: 'string' },
          groups: { type: 'array', items: { type: 'string' } },
        },
      },
    },
  },
};
const validate = compileSchema('users-file', SCHEMA);

/** Why `uid` cannot be a users-file uid, or null when it can. */
export function uidProblem(uid: string): string | null {
  return new RegExp(UID_PATTERN).test(uid) ? null : `"${uid}" is not a valid uid (${UID_RULE})`;
}

/** Why `password` is refused for a new or changed password, or null. */
export function passwordProblem(password: string): string | null {
  return [...password].length >= MIN_PASSWORD_LENGTH ? null : `the password is too short: at least ${MIN_PASSWORD_LENGTH} characters`;
}

export function parseUsers(text: string, file: string): UsersFile {
  const doc = parseYamlFile(text, file);
  if (doc.problems.length) throw new ConfigError(doc.problems);
  const value = doc.value ?? {};
  const problems = checkSchema(validate, { ...doc, value });
  if (problems.length) throw new ConfigError(problems);
  const parsed = value as { users?: User[]; serviceAccounts?: ServiceAccount[] };
  const keys = new Map<number, string>();
  const seen = new Set<string>();
  for (const [kind, list] of [['users', parsed.users ?? []], ['serviceAccounts', parsed.serviceAccounts ?? []]] as const) {
    list.forEach((entry, i) => {
      if (seen.has(entry.uid))
        problems.push({ file, ...doc.positionOf([kind, i, 'uid']), path: `${kind}[${i}].uid`, message: `"${entry.uid}" is defined twice` });
      seen.add(entry.uid);
      const hash = kind === 'users' ? hashProblem((entry as User).password) : null;
      if (hash !== null) {
        problems.push({
          file,
          ...doc.positionOf([kind, i, 'password']),
          path: `${kind}[${i}].password`,
          message: `${hash}; set passwords with \`gatehouse user add\``,
        });
      }
      if (kind === 'serviceAccounts') {
        const pem = accountKey(entry as ServiceAccount, file, (field, message) =>
          problems.push({
            file,
            ...doc.positionOf([kind, i, ...(field ? [field] : [])]),
            path: `${kind}[${i}]${field ? `.${field}` : ''}`,
            message,
          }),
        );
        if (pem !== null) keys.set(i, pem);
      }
    });
  }
  if (problems.length) throw new ConfigError(problems);
  return {
    users: (parsed.users ?? []).map((u) => ({ uid: u.uid, password: u.password, groups: u.groups ?? [] })),
    serviceAccounts: (parsed.serviceAccounts ?? []).map((s, i) => ({
      uid: s.uid,
      publicKey: keys.get(i)!,
      ...(s.publicKeyFile ? { publicKeyFile: s.publicKeyFile } : {}),
      groups: s.groups ?? [],
    })),
  };
}

/** The account's PEM (inline, or from publicKeyFile beside the users file), checked to be a key we can verify with. */
function accountKey(account: ServiceAccount, usersFile: string, problem: (field: string | null, message: string) => void): string | null {
  if ((account.publicKey === undefined) === (account.publicKeyFile === undefined)) {
    problem(null, 'needs exactly one of publicKey (PEM) and publicKeyFile (path)');
    return null;
  }
  let pem = account.publicKey;
  const field = pem === undefined ? 'publicKeyFile' : 'publicKey';
  if (pem === undefined) {
    const path = resolve(dirname(usersFile), account.publicKeyFile!);
    try {
      // Synchronous: the users file is read at start and on change, and key files are small.
      pem = readFileSync(path, 'utf8');
    } catch (error) {
      problem(field, `cannot read ${path}: ${(error as NodeJS.ErrnoException).code}`);
      return null;
    }
  }
  try {
    algorithmOf(createPublicKey(pem), field);
  } catch (error) {
    problem(field, error instanceof AuthnError ? error.message.replace(/^[^:]*: /, '') : 'is not a PEM public key (RSA, EC P-256 or Ed25519)');
    return null;
  }
  return pem;
}

export async function loadUsers(path: string): Promise<UsersFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new AuthnError('ERR_AUTHN_USERS_FILE', `authn.users: cannot read ${path}: ${(error as NodeJS.ErrnoException).code}`, { cause: error });
  }
  return parseUsers(text, path);
}

/** Writes the whole file beside the old one, then renames it over: readers never see half a file. */
async function writeUsers(path: string, users: UsersFile): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const temp = `${path}.${process.pid}.tmp`;
  const body = yamlLibrary().stringify({
    users: users.users.map((u) => ({ ...u, groups: [...u.groups] })),
    serviceAccounts: users.serviceAccounts.map((s) => ({
      uid: s.uid,
      ...(s.publicKeyFile ? { publicKeyFile: s.publicKeyFile } : { publicKey: s.publicKey }),
      groups: [...s.groups],
    })),
  });
  const text = `# Gatehouse users: manage with \`gatehouse user add|list|remove\`. Passwords are salted scrypt hashes.\n${body}`;
  // The same check the readers make: a file that would be refused is never written.
  parseUsers(text, path);
  try {
    await writeFile(temp, text, { mode: 0o600 });
    // writeFile's mode only applies to a new file; a stale temp file left by a crash keeps its own.
    await chmod(temp, 0o600);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw new AuthnError(
      'ERR_AUTHN_USERS_FILE',
      `authn.users: cannot write ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      { cause: error },
    );
  }
}

/** The users file, or an empty one when it does not exist yet. */
async function loadUsersOrEmpty(path: string): Promise<UsersFile> {
  try {
    return await loadUsers(path);
  } catch (error) {
    if (!(error instanceof AuthnError && (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT')) throw error;
    return { users: [], serviceAccounts: [] };
  }
}

export async function addOrUpdateUser(path: string, uid: string, password: string, groups?: readonly string[]): Promise<'added' | 'updated'> {
  if (!password) throw new AuthnError('ERR_AUTHN_USERS_FILE', 'the password is empty');
  const badUid = uidProblem(uid);
  if (badUid) throw new AuthnError('ERR_AUTHN_USERS_FILE', badUid);
  const current = await loadUsersOrEmpty(path);
  if (current.serviceAccounts.some((s) => s.uid === uid))
    throw new AuthnError('ERR_AUTHN_USERS_FILE', `"${uid}" is a service account in ${path}; a user needs a uid of its own`);
  const existing = current.users.find((u) => u.uid === uid);
  const user: User = { uid, password: await hashPassword(password), groups: groups ?? existing?.groups ?? [] };
  const users = existing ? current.users.map((u) => (u.uid === uid ? user : u)) : [...current.users, user];
  await writeUsers(path, { users, serviceAccounts: current.serviceAccounts });
  return existing ? 'updated' : 'added';
}

/** Removes the user or service account `uid`; false when there is none. */
export async function removeUser(path: string, uid: string): Promise<boolean> {
  const current = await loadUsers(path);
  const users = current.users.filter((u) => u.uid !== uid);
  const serviceAccounts = current.serviceAccounts.filter((s) => s.uid !== uid);
  if (users.length === current.users.length && serviceAccounts.length === current.serviceAccounts.length) return false;
  await writeUsers(path, { users, serviceAccounts });
  return true;
}

/** First start: when there is no users file, create one with an `admin` and return its password (to print once). */
export async function bootstrapAdmin(path: string): Promise<string | null> {
  try {
    await readFile(path);
    return null;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const password = randomBytes(15).toString('base64url');
  await writeUsers(path, { users: [{ uid: 'admin', password: await hashPassword(password), groups: ['admins'] }], serviceAccounts: [] });
  return password;
}

// Per users file (each version is a new object): the hash an unknown uid is checked against.
const dummies = new WeakMap<UsersFile, string>();

/**
 * An unknown uid is checked against a hash with the parameters of the file's own hashes: against a
 * fixed default-cost one, every uid whose check took a different time than an unknown one's would be a
 * uid that exists (hashes written with other parameters, by an older version or another tool, or
 * cheaper ones in a test setup). Where the file's parameters differ, the costliest: a uid with a
 * cheaper hash is still faster to check, until `gatehouse user add` writes its hash again.
 */
function dummyFor(users: UsersFile): string {
  let dummy = dummies.get(users);
  if (dummy === undefined) {
    let costliest: string | undefined;
    let highest = 0;
    for (const { password } of users.users) {
      const cost = hashCost(password);
      if (cost > highest) [costliest, highest] = [password, cost];
    }
    dummy = dummyHash(costliest);
    dummies.set(users, dummy);
  }
  return dummy;
}

/**
 * True when uid exists and the password matches; unknown users cost the same time as wrong passwords.
 * `check` is for tests that look at which hash a uid was checked against.
 */
export async function verifyPassword(users: UsersFile, uid: string, password: string, check = checkPassword): Promise<boolean> {
  const user = users.users.find((u) => u.uid === uid);
  // A hash a check cannot use (a file made in code; the users file refuses them) costs what an unknown uid costs.
  const usable = user !== undefined && hashProblem(user.password) === null;
  const ok = await check(password, usable ? user.password : dummyFor(users));
  return ok && usable;
}
