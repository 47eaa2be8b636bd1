/**
 * Runs `node bin/kpi.js …` as a child with the chaos kill hook preloaded, and kills it on purpose:
 * at the N-th lake operation (the hook SIGKILLs itself) or after a delay counted from the moment the
 * sync starts (the parent sends SIGKILL). Always bounded by a timeout.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const killHook = path.join(repoRoot, 'scripts', 'chaos', 'kill-hook.ts');

/** Node 22 runs the TypeScript sources: this node when it is 22+, else the project's. */
export const nodeBinary = Number(process.versions.node.split('.')[0]) >= 22
  ? process.execPath
  : path.join(repoRoot, 'node_modules', '.bin', 'node');

export interface KpiRun {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
  /** How the run was stopped on purpose, if it was. */
  readonly killed: 'at-operation' | 'after-delay' | 'timeout' | undefined;
  /** Lake operations the hook traced (with trace on). */
  readonly operations: number;
}

export interface KpiRunOptions {
  readonly args: readonly string[];
  /** Added to a minimal environment (PATH, HOME, TZ). */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd: string;
  /** SIGKILL just before this lake operation (1-based). */
  readonly killAtOperation?: number;
  /** SIGKILL this long after the child prints "Syncing into". */
  readonly killAfterSyncStartMs?: number;
  readonly trace?: boolean;
  readonly timeoutMs?: number;
}

export function runKpiChild(options: KpiRunOptions): Promise<KpiRun> {
  const env: Record<string, string> = {
    PATH: process.env['PATH'] ?? '', HOME: process.env['HOME'] ?? '', TZ: 'UTC', KPI_LOG_LEVEL: 'info',
    ...(options.killAtOperation === undefined ? {} : { KPI_CHAOS_KILL_AT_OP: String(options.killAtOperation) }),
    ...(options.trace ? { KPI_CHAOS_TRACE: '1' } : {}),
    ...options.env,
  };
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = spawn(nodeBinary, ['--import', killHook, path.join(repoRoot, 'bin', 'kpi.js'), ...options.args], {
      cwd: options.cwd, env, stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let killed: KpiRun['killed'];
    let delayTimer: NodeJS.Timeout | undefined;
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (options.killAfterSyncStartMs !== undefined && delayTimer === undefined && stdout.includes('Syncing into')) {
        delayTimer = setTimeout(() => {
          killed = 'after-delay';
          child.kill('SIGKILL');
        }, options.killAfterSyncStartMs);
      }
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timeout = setTimeout(() => {
      killed = 'timeout';
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 120_000);
    child.once('error', (error) => {
      clearTimeout(timeout);
      clearTimeout(delayTimer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timeout);
      clearTimeout(delayTimer);
      if (signal === 'SIGKILL' && killed === undefined && options.killAtOperation !== undefined) killed = 'at-operation';
      resolve({
        code, signal, stdout, stderr, durationMs: Date.now() - started, killed,
        operations: (stderr.match(/^chaos-op \d+ /gm) ?? []).length,
      });
    });
  });
}

/** Every wait the clients logged before a retry (backoff, Retry-After, vendor throttle hints), in ms, per source. */
export function retryWaits(stderr: string): Map<string, number[]> {
  const waits = new Map<string, number[]>();
  for (const line of stderr.split('\n')) {
    const wait = /"(?:delayMs|waitMs|pauseMs)":(\d+)/.exec(line);
    if (!wait) continue;
    const source = /\[([a-z][a-z0-9_]*)(?:\/[^\]]*)?\]/.exec(line)?.[1] ?? '?';
    const list = waits.get(source) ?? [];
    list.push(Number(wait[1]));
    waits.set(source, list);
  }
  return waits;
}
