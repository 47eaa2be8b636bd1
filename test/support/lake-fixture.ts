import { afterEach } from 'vitest';
import { LocalFolderStore } from '../../core/lake/local-folder-store.ts';
import { tempDirs } from './temp-dir.ts';

type Stoppable = { stop(): Promise<void> };
type Closable = { close(): Promise<void> };

/**
 * What each connector's integration test sets up and tears down: temp lakes, and the engines and
 * sandboxes it opened, closed after every test (engines first, then sandboxes, then the folders).
 */
export function lakeFixture(prefix: string) {
  const dirs = tempDirs(prefix);
  const engines: Closable[] = [];
  const sandboxes: Stoppable[] = [];
  afterEach(async () => {
    await Promise.all(engines.splice(0).map((e) => e.close()));
    await Promise.all(sandboxes.splice(0).map((s) => s.stop()));
    await dirs.removeAll();
  });
  return {
    /** A fresh lake folder and a store over it. */
    async lake(): Promise<{ root: string; store: LocalFolderStore }> {
      const root = await dirs.make();
      return { root, store: new LocalFolderStore(root) };
    },
    /** Closes (an engine) or stops (a sandbox) this after the test; returns it. */
    afterTest<T extends Stoppable | Closable>(resource: T): T {
      if ('close' in resource) engines.push(resource);
      else sandboxes.push(resource);
      return resource;
    },
    dirs,
  };
}
