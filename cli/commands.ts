// Every `gatehouse` command with its usage text, so that `gatehouse --help`, `gatehouse COMMAND --help`
// and the one-line error hints all come from one table. A command's code is imported when it runs:
// `gatehouse --help` or `user list` need not load the DNS server, the gateway and the cluster.
import { VERSION } from './version.js';
import { EXIT_OK } from './exit-codes.js';

export interface Command {
  readonly name: string;
  /** One line for the overview. */
  readonly summary: string;
  /** The full usage printed by `gatehouse NAME --help`. */
  readonly usage: string;
  run(args: readonly string[]): Promise<number>;
}

const CONFIG = '  -c, --config FILE   the Gatehouse config (default config/gatehouse.yaml)\n';

export const COMMANDS: readonly Command[] = [
  {
    name: 'run',
    summary: 'run everything the config enables',
    usage: [
      'usage: gatehouse run [--config FILE] [--pretty]',
      '',
      'Runs what the config enables (cluster source, DNS, gateway) until SIGTERM, SIGINT or SIGHUP.',
      '',
      `${CONFIG}  --pretty            human log lines (or LOG_FORMAT=pretty)`,
      '',
    ].join('\n'),
    run: async (args) => (await import('./run-command.js')).runCommand(args),
  },
  {
    name: 'mesos-dns',
    summary: 'drop-in Mesos-DNS: same config.json, names, answers and HTTP API',
    usage: [
      'usage: gatehouse mesos-dns -config FILE [-v N] [-version]',
      '',
      `A drop-in Mesos-DNS. Flags take one dash or two, as Mesos-DNS's do.`,
      '',
      '  -config FILE   Mesos-DNS config.json (default config.json)',
      '  -v N           verbosity: 1 debug, 2 trace',
      '  -version       print the version',
      '  -pretty        human log lines',
      '',
    ].join('\n'),
    run: async (args) => (await import('./mesos-dns-command.js')).mesosDnsCommand(args),
  },
  {
    name: 'validate',
    summary: 'check the config, users, route and app files without starting anything',
    usage: [
      'usage: gatehouse validate [--config FILE]',
      '',
      'Checks the config, the users file, every route file and every app file; prints one line per',
      'problem (file:line:col: key.path: message). Exit 0 when clean, 1 otherwise.',
      '',
      CONFIG,
    ].join('\n'),
    run: async (args) => (await import('./validate-command.js')).validateCommand(args),
  },
  {
    name: 'token',
    summary: "print a token signed with the instance's key",
    usage: [
      'usage: gatehouse token --uid UID [--ttl DURATION] [--config FILE]',
      '',
      'Prints a token for UID signed with authn.signingKey (created on first use).',
      '',
      '  --uid UID        who the token is for (required)',
      '  --ttl DURATION   how long it is valid, e.g. 90s, 5m, 5d (default authn.tokenTtl)',
      CONFIG,
    ].join('\n'),
    run: async (args) => (await import('./token-command.js')).tokenCommand(args),
  },
  {
    name: 'user',
    summary: 'add, list or remove users of the users file',
    usage: [
      'usage: gatehouse user add UID [--groups a,b] [--config FILE]',
      '       gatehouse user list [--config FILE]',
      '       gatehouse user remove UID [--config FILE]',
      '',
      `Manages authn.users. \`add\` asks for the password without echo on a terminal, or reads the first`,
      'line of stdin when piped (at least 8 characters); only a salted scrypt hash is stored.',
      '',
      `  --groups a,b     the user's groups (add; default: keep the current ones)`,
      CONFIG,
    ].join('\n'),
    run: async (args) => (await import('./user-command.js')).userCommand(args),
  },
  {
    name: 'version',
    summary: 'print the version',
    usage: 'usage: gatehouse version\n',
    async run() {
      process.stdout.write(`gatehouse ${VERSION}\n`);
      return EXIT_OK;
    },
  },
];

export const OVERVIEW = [
  'usage: gatehouse <command> [options]',
  '',
  'commands:',
  ...COMMANDS.map((c) => `  ${c.name.padEnd(11)}${c.summary}`),
  '',
  "Run 'gatehouse COMMAND --help' for a command's options.",
  '',
].join('\n');

export function findCommand(name: string): Command | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/** `--help`, `-h` and Go-style `-help` anywhere among a command's arguments. */
export function wantsHelp(args: readonly string[]): boolean {
  return args.some((arg) => arg === '--help' || arg === '-h' || arg === '-help');
}
