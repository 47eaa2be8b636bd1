import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { KpiError } from '../../core/errors.ts';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { createConsoleLogger } from '../../core/log.ts';
import { runKpiChild } from '../../scripts/chaos/run-kpi.ts';
import { chaosTargets, type StartedTarget } from '../../scripts/chaos/targets.ts';
import { pipelineDocument, secretEnv, syncInProcess } from '../../scripts/chaos/trials.ts';
import { decodeParquetRows } from '../support/parquet-rows.ts';

const anchorDate = '2026-10-16';
const dirs: string[] = [];
const sandboxes: { stop(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.all(sandboxes.splice(0).map((s) => s.stop()));
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** Distinctive values for every credential of every connector; identifiers (client ids, user names) are not secrets. */
const secretValues: Record<string, Record<string, string>> = {
  ga4: { access_token: 'ya29.S3cr3t-GA4-access-7f3a9c1e5b' },
  google_ads: { access_token: 'ya29.S3cr3t-GADS-access-2b8d4f6a0c', developer_token: 'S3cr3t-GADS-devtoken-9e1f3a5c7b' },
  meta: { access_token: 'EAAS3cr3tMETAaccess4c6e8a0b2d' },
  linkedin: { client_id: 'li-client-id-public', client_secret: 'S3cr3t-LI-client-secret-5d7f9b1c3e', refresh_token: 'AQXS3cr3tLIrefresh8a0c2e4f6b' },
  tiktok: { access_token: 'S3cr3t-TIKTOK-access-1e3a5c7b9d' },
  salesforce: {
    client_id: '3MVG9-public-client-id', client_secret: 'S3cr3t-SF-client-secret-6b8d0f2a4c', username: 'chaos@example.com',
    password: 'S3cr3t-SF-password-3c5e7a9b1d', security_token: 'S3cr3tSFsectoken0d2f4b6a8c',
  },
};
const identifiers = new Set(['client_id', 'username']);
const secretsOf = (values: Record<string, Record<string, string>>) =>
  Object.values(values).flatMap((byName) => Object.entries(byName).filter(([name]) => !identifiers.has(name)).map(([, value]) => value));

/**
 * The forms a secret can leak in: as is, URL-encoded, JSON-escaped, and base64 / base64url at each
 * of the three alignments it can have inside a longer encoded text (a Basic auth header).
 */
function leakForms(secret: string): string[] {
  const forms = new Set([secret, encodeURIComponent(secret), JSON.stringify(secret).slice(1, -1)]);
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.from('\0'.repeat(offset) + secret);
    // Drop the characters that depend on what comes before or after the secret.
    const lead = Math.ceil((offset * 4) / 3);
    const usable = Math.floor(((offset + secret.length) * 4) / 3) - 4;
    for (const alphabet of ['base64', 'base64url'] as const) forms.add(encoded.toString(alphabet).slice(lead, usable));
  }
  return [...forms].filter((form) => form.length >= 8);
}

/** Every place (file or stream) where a form of a secret shows up. */
function findLeaks(places: ReadonlyMap<string, string>, secrets: readonly string[]): string[] {
  const hits: string[] = [];
  for (const secret of secrets) {
    for (const form of leakForms(secret)) {
      for (const [place, text] of places) if (text.includes(form)) hits.push(`${place}: ${form}`);
    }
  }
  return hits;
}

/** Every file under `dir` as text (bytes as latin1), Parquet files also as their decoded rows. */
async function outputFiles(dir: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath, entry.name);
    const bytes = await readFile(file);
    const key = path.relative(dir, file);
    files.set(key, bytes.toString('latin1') + bytes.toString('utf8'));
    if (entry.name.endsWith('.parquet')) {
      files.set(`${key} (rows)`, JSON.stringify(decodeParquetRows(new Uint8Array(bytes)), (_, v) => (typeof v === 'bigint' ? v.toString() : v)));
    }
  }
  return files;
}

async function startAll(values: Record<string, Record<string, string>>, sandboxValues = values): Promise<StartedTarget[]> {
  const started: StartedTarget[] = [];
  for (const target of chaosTargets) {
    const running = await target.start({ anchorDate, backfillDays: 14, credentials: sandboxValues[target.type]! });
    sandboxes.push(running.sandbox);
    // The secret the pipeline gets may differ from what the sandbox accepts (a wrong token).
    const wrong = values === sandboxValues ? running : await target.start({ anchorDate, backfillDays: 14, credentials: values[target.type]! });
    if (wrong !== running) await wrong.sandbox.stop();
    started.push({ ...running, secrets: wrong.secrets });
  }
  return started;
}

/** What the CLI prints for an error: each message of the cause chain with a KpiError's context. */
function printedChain(error: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = error; e && parts.length < 6; e = (e as { cause?: unknown }).cause) {
    parts.push(`${e instanceof Error ? e.message : String(e)} ${e instanceof KpiError ? JSON.stringify(e.context) : ''}`);
  }
  return parts.join('\n');
}

describe('secrets never reach logs, errors or files', () => {
  it('the scanner finds every form of a planted secret (control)', () => {
    // Prepare
    const secret = secretValues.linkedin!.client_secret!;
    const places = new Map([
      ['raw', `x=${secret}`],
      ['url', `?client_secret=${encodeURIComponent(`${secret}/+`)}`],
      ['basic auth', `Authorization: Basic ${Buffer.from(`li-client-id-public:${secret}`).toString('base64')}`],
      ['base64url, shifted', Buffer.from(`ab${secret}cd`).toString('base64url')],
      ['clean', 'nothing to see here'],
    ]);
    // Act
    const hits = findLeaks(places, [secret]).map((hit) => hit.split(':')[0]);
    // Assess
    expect([...new Set(hits)].sort()).toEqual(['base64url, shifted', 'basic auth', 'raw', 'url']);
  });

  it('a full `kpi run` of every connector (sync, snapshot, notify) prints and writes none of them', async () => {
    // Prepare
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kpi-secret-scan-'));
    dirs.push(dir);
    const started = await startAll(secretValues);
    const config = JSON.parse(pipelineDocument(started)) as Record<string, unknown>;
    Object.assign(config, {
      recipients: [{ email: 'kim@example.com', name: '김지은', locale: 'ko' }],
      goals: [{ id: 'sessions-daily', kpi: 'sessions', grain: 'day', target: 1_000_000_000, direction: 'at_least', owner: '김지은', recipients: ['kim@example.com'] }],
    });
    await writeFile(path.join(dir, 'pipeline.yaml'), JSON.stringify(config));
    const dataDir = path.join(dir, 'data');

    // Act
    const run = await runKpiChild({
      args: ['run', '-c', path.join(dir, 'pipeline.yaml'), '-d', dataDir, '--as-of', '2026-10-15'],
      env: { ...secretEnv(started), KPI_LOG_LEVEL: 'debug' }, cwd: dir, timeoutMs: 60_000,
    });
    const files = await outputFiles(dataDir);

    // Assess: the run did real work (so the scan covered real output) and nothing leaked.
    expect(run.code, run.stderr).toBe(0);
    const names = [...files.keys()];
    expect(names.filter((n) => n.endsWith('.parquet')).length).toBeGreaterThan(50);
    expect(names.filter((n) => n.startsWith(`lake${path.sep}_state`)).length).toBe(15); // 14 cursors and the alert state
    expect(names.filter((n) => n.startsWith('outbox') && n.endsWith('.eml'))).toHaveLength(1);
    const places = new Map([['stdout', run.stdout], ['stderr', run.stderr], ...files]);
    expect(findLeaks(places, secretsOf(secretValues))).toEqual([]);
  }, 60_000);

  it('a wrong credential fails with a message, context and logs that do not carry it', async () => {
    // Prepare: every secret value the pipeline gets is wrong; the sandboxes expect the right ones.
    const wrongValues = Object.fromEntries(Object.entries(secretValues).map(([type, byName]) => [type, Object.fromEntries(
      Object.entries(byName).map(([name, value]) => [name, identifiers.has(name) ? value : `WRONG-${value.split('').reverse().join('')}`]),
    )]));
    const started = await startAll(wrongValues, secretValues);
    const dir = await mkdtemp(path.join(os.tmpdir(), 'kpi-secret-scan-'));
    dirs.push(dir);
    await writeFile(path.join(dir, 'pipeline.yaml'), pipelineDocument(started));

    // Act: each connector in this process; and the CLI (with stack traces on) for the first source.
    const [failures, cli] = await Promise.all([
      Promise.all(started.map(async (target) => {
        const lines: string[] = [];
        const error = await syncInProcess([target], new LocalFolderStore(await mkdtemp(path.join(dir, 'lake-'))), anchorDate,
          createConsoleLogger({ level: 'debug', write: (line) => lines.push(line) })).then(() => undefined, (e: unknown) => e);
        return { source: String(target.source.id), error, text: `${printedChain(error)}\n${lines.join('\n')}` };
      })),
      runKpiChild({
        args: ['sync', '-c', path.join(dir, 'pipeline.yaml'), '-d', path.join(dir, 'data'), '--as-of', '2026-10-15', '--source', 'linkedin'],
        env: { ...secretEnv(started), KPI_LOG_LEVEL: 'debug', KPI_DEBUG: '1' }, cwd: dir, timeoutMs: 30_000,
      }),
    ]);

    // Assess
    expect(failures.map((f) => [f.source, f.error instanceof KpiError])).toEqual(started.map((t) => [t.source.id, true]));
    const normalised = (message: string) => message.replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT').replace(/request id [\w-]+/, 'request id ID');
    expect(failures.map((f) => normalised((f.error as Error).message))).toEqual([
      "GA4 rejected the credentials (HTTP 401): Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.. Check the source's auth secret and that it can read the property.",
      "Google Ads rejected the credentials (HTTP 401 UNAUTHENTICATED, authenticationError.OAUTH_TOKEN_INVALID: OAuth token in the header is not valid., request id ID). Check the source's auth secret and that its Google account can sign in to Google Ads.",
      "Meta rejected the access token (HTTP 400, code 190): Invalid OAuth access token - Cannot parse access token. The token is invalid or expired: generate a new system-user token with ads_read (Business Settings → System users) and update the source's auth secret.",
      'LinkedIn refused the refresh token (HTTP 401 invalid_client: Client authentication failed). Refresh tokens last 365 days from the member\'s authorisation and can be revoked: authorise the app again and update client_id, client_secret and refresh_token in secret "chaos/linkedin".',
      "TikTok rejected the access token (code 40105, HTTP 200): Access token is incorrect or has been revoked. Check the source's auth secret: a long-lived Marketing API access token that is still authorized.",
      'Salesforce login (username_password) at http://127.0.0.1:PORT failed: invalid_client: invalid client credentials',
    ]);
    expect(cli.code).toBe(1);
    const places = new Map([['cli stdout', cli.stdout], ['cli stderr', cli.stderr], ...failures.map((f) => [f.source, f.text] as [string, string])]);
    expect(findLeaks(places, [...secretsOf(wrongValues), ...secretsOf(secretValues)])).toEqual([]);
  }, 60_000);
});
