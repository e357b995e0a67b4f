/**
 * Starts the real lowkey server for browser tests: `lowkey demo` on a random port with a fresh
 * data directory, parsing the URL and the demo credentials it prints; or `lowkey serve` on an
 * empty database with one builder made by `lowkey admin add` (the editor's tests).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The binary under test: $LOWKEY_BIN, or the debug build of this repository. */
export const LOWKEY_BIN = process.env.LOWKEY_BIN ?? fileURLToPath(new URL('../../target/debug/lowkey', import.meta.url));

export interface DemoServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly origin: string;
  /** The app URL the demo printed (…/app/custom-auth). */
  readonly appUrl: string;
  readonly email: string;
  readonly password: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

export function freshDataDir(): string {
  return mkdtempSync(join(tmpdir(), 'lowkey-e2e-'));
}

/** Runs a lowkey CLI command to completion; returns its exit status and output. */
export function lowkey(args: string[], input?: string): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(LOWKEY_BIN, args, { encoding: 'utf8', timeout: 60_000, ...(input === undefined ? {} : { input }) });
  return { status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
}

export interface BuilderServer {
  /** e.g. http://127.0.0.1:41234 */
  readonly origin: string;
  /** The builder made with `lowkey admin add`. */
  readonly email: string;
  readonly password: string;
  readonly dataDir: string;
  stop(): Promise<void>;
}

/**
 * `lowkey serve` on a fresh, empty data directory with one builder, added beforehand with
 * `lowkey admin add EMAIL --role admin` (the password piped on stdin, as a script would).
 */
export async function startServeWithBuilder(
  email = 'builder@example.com',
  password = 'correct horse battery staple',
  timeoutMs = 60_000,
): Promise<BuilderServer> {
  const dataDir = freshDataDir();
  const added = lowkey(['admin', 'add', email, '--role', 'admin', '--data-dir', dataDir], `${password}\n`);
  if (added.status !== 0) {
    rmSync(dataDir, { recursive: true, force: true });
    throw new Error(`lowkey admin add failed (${added.status}):\n${added.stdout}\n${added.stderr}`);
  }
  const child = spawn(LOWKEY_BIN, ['serve', '--addr', '127.0.0.1:0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    // The address is in the "lowkey listening" log line, so that line must be logged.
    env: { ...process.env, LOWKEY_LOG: 'info', LOWKEY_LOG_FORMAT: 'json' },
  });
  let output = '';
  let started = false;
  const origin = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`lowkey serve logged no address within ${timeoutMs} ms`)), timeoutMs);
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
      reject(new Error(`${e.message}\noutput:\n${output.slice(-4000)}`));
    };
    // The pipes keep being read once started (a full pipe would block the server's logging).
    const onData = (d: Buffer) => {
      if (started) return;
      output += d.toString();
      const addr = /lowkey listening\W+addr\W+(127\.0\.0\.1:\d+)/.exec(output)?.[1];
      if (addr) {
        started = true;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve(`http://${addr}`);
      }
    };
    child.on('error', (e) => fail(new Error(`could not start ${LOWKEY_BIN}: ${e.message}`)));
    child.on('exit', (code) => fail(new Error(`lowkey serve exited early with ${code}`)));
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  });
  return { origin, email, password, dataDir, stop: () => stop(child, dataDir) };
}

/**
 * `lowkey demo` on `dataDir` (which may hold apps imported beforehand with `lowkey app import`);
 * `env` adds to the server's environment, e.g. `LOWKEY_CONFIG` naming a config file.
 */
export async function startDemo(
  dataDir = freshDataDir(),
  timeoutMs = 60_000,
  env: Readonly<Record<string, string>> = {},
): Promise<DemoServer> {
  const child = spawn(LOWKEY_BIN, ['demo', '--addr', '127.0.0.1:0', '--data-dir', dataDir], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LOWKEY_LOG: process.env.LOWKEY_LOG ?? 'warn', ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => {
    stderr += d.toString();
  });
  const found = await new Promise<{ appUrl: string; email: string; password: string }>((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`lowkey demo printed no URL within ${timeoutMs} ms`)), timeoutMs);
    const fail = (e: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${e.message}\nstdout:\n${stdout}\nstderr:\n${stderr.slice(-4000)}`));
    };
    child.on('error', (e) => fail(new Error(`could not start ${LOWKEY_BIN}: ${e.message}`)));
    child.on('exit', (code) => fail(new Error(`lowkey demo exited early with ${code}`)));
    child.stdout?.on('data', (d: Buffer) => {
      stdout += d.toString();
      const appUrl = /URL:\s*(http:\/\/127\.0\.0\.1:\d+\/app\/custom-auth)\s*$/m.exec(stdout)?.[1];
      const email = /Email:\s*(\S+)\s*$/m.exec(stdout)?.[1];
      const password = /Password:\s*(.+?)\s*$/m.exec(stdout)?.[1];
      if (appUrl && email && password) {
        clearTimeout(timer);
        child.removeAllListeners('exit');
        resolve({ appUrl, email, password });
      }
    });
  });
  return {
    ...found,
    origin: new URL(found.appUrl).origin,
    dataDir,
    stop: () => stop(child, dataDir),
  };
}

/** Stops a server process (SIGTERM, SIGKILL after 5 s) and removes its data directory. */
export async function stop(child: ChildProcess, dataDir: string): Promise<void> {
  if (child.exitCode === null && child.signalCode === null) {
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const killer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(killer);
  }
  rmSync(dataDir, { recursive: true, force: true });
}
