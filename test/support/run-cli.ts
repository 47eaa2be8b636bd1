import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** Node 22 runs the TypeScript sources: vitest's own node when it is 22+, else the project's node_modules/.bin/node. */
export const nodeBinary = Number(process.versions.node.split('.')[0]) >= 22
  ? process.execPath
  : path.join(repoRoot, 'node_modules', '.bin', 'node');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node bin/kpi.js …args` in the repo root and collects its output; kills it after `timeoutMs`. */
export function runKpi(args: readonly string[], options: { timeoutMs?: number } = {}): Promise<CliResult> {
  const env = { ...process.env };
  // The outbox, not SMTP; message-only errors, not stack traces; default log level.
  delete env.SMTP_URL;
  delete env.KPI_DEBUG;
  delete env.KPI_LOG_LEVEL;
  return new Promise((resolve, reject) => {
    const child = spawn(nodeBinary, [path.join(repoRoot, 'bin', 'kpi.js'), ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 45_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}
