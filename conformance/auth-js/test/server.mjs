// Starts the real lowkey binary on a free loopback port with a fresh data directory.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = process.env.LOWKEY_BIN ?? resolve(import.meta.dirname, '../../../target/debug/lowkey');

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

export async function startLowkey({ users = [] } = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'lowkey-authjs-'));
  for (const { email, password } of users) {
    const r = spawnSync(BIN, ['user', 'add', email, '--data-dir', dataDir], { input: `${password}\n`, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`lowkey user add failed: ${r.stderr}`);
  }
  const port = await freePort();
  const child = spawn(BIN, ['serve', '--addr', `127.0.0.1:${port}`, '--data-dir', dataDir], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try {
      const r = await fetch(`${url}/health`);
      if (r.ok) break;
    } catch { /* not up yet */ }
    if (child.exitCode !== null || i > 200) throw new Error(`lowkey did not start: ${stderr}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    url,
    authUrl: `${url}/auth/v1`,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
