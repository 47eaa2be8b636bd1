import { accessSync, constants } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

/** Debian's Chromium; `.ci/run` installs it with apt-get (package `chromium`). */
export const CHROMIUM_PATH = '/usr/bin/chromium';

/** No sandbox (containers), no GPU, and nothing that reaches out to the network on its own. */
export const CHROMIUM_ARGS: readonly string[] = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Why the browser tests cannot run on this machine, or undefined when Chromium is there.
 * Use with `describe.skipIf(chromiumMissing() !== undefined)`.
 */
export function chromiumMissing(): string | undefined {
  try {
    accessSync(CHROMIUM_PATH, constants.X_OK);
    return undefined;
  } catch {
    return `skipped: ${CHROMIUM_PATH} is not installed. .ci/run installs it ` +
      '(apt-get install -y --no-install-recommends chromium); on your machine run: sudo apt-get install chromium';
  }
}

export interface HeadlessChromium {
  readonly context: BrowserContext;
  /** Closes the browser and deletes its profile folder. */
  close(): Promise<void>;
}

/**
 * Headless Chromium with a fresh, empty profile in a temp folder. The context is offline and
 * every request other than file: and data: URLs is refused, so a page can load only local files.
 */
export async function launchChromium(): Promise<HeadlessChromium> {
  const userDataDir = await mkdtemp(path.join(os.tmpdir(), 'kpi-chromium-profile-'));
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM_PATH,
      headless: true,
      args: [...CHROMIUM_ARGS],
      offline: true,
      viewport: { width: 800, height: 900 },
    });
  } catch (error) {
    await rm(userDataDir, { recursive: true, force: true });
    throw error;
  }
  await context.route('**/*', (route) => {
    const url = route.request().url();
    return url.startsWith('file:') || url.startsWith('data:') ? route.continue() : route.abort('blockedbyclient');
  });
  return {
    context,
    async close() {
      try {
        await context.close();
      } finally {
        await rm(userDataDir, { recursive: true, force: true });
      }
    },
  };
}
