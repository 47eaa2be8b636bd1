import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { parse, stringify } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import { connectors } from '../../connectors/index.ts';
import { parseConfig } from '../../core/config/load-config.ts';
import { ConfigError } from '../../core/errors.ts';
import { kpiCatalog } from '../../core/kpi/catalog.ts';
import { repoRoot, runKpi } from '../support/run-cli.ts';

/**
 * Invalid pipeline.yaml documents, generated as mutations of examples/pipeline.yaml: wrong types,
 * missing required fields, unknown values, bad dates, bad and duplicate ids, dangling references,
 * broken YAML. Every one must be refused with a ConfigError whose problems each say where (a
 * non-empty path) and what to write — never a stack trace, never another error type.
 */

type Doc = Record<string, unknown>;
interface Mutation {
  readonly name: string;
  /** The path it changes. */
  readonly target: string;
  /** A problem's path must start with this. */
  readonly path: string;
  /** False when there was nothing to change (a field under a section an earlier change replaced). */
  apply(doc: Doc): boolean;
}

const exampleText = readFileSync(path.join(repoRoot, 'examples', 'pipeline.yaml'), 'utf8');
const example = parse(exampleText) as Doc;
const sourceCount = (example.sources as unknown[]).length;
const sourceOfType = (type: string): number => {
  const index = (example.sources as { type: string }[]).findIndex((s) => s.type === type);
  if (index < 0) throw new Error(`examples/pipeline.yaml has no ${type} source`);
  return index;
};
const [ga4, googleAds, meta] = [sourceOfType('ga4'), sourceOfType('google_ads'), sourceOfType('meta')];
/** The time-bound goal (start and deadline). */
const timeBound = (example.goals as { start?: string }[]).findIndex((g) => g.start !== undefined);
const goalCount = (example.goals as unknown[]).length;
const recipientCount = (example.recipients as unknown[]).length;
const sourceTypes = new Set(connectors.map((c) => c.type));
const kpiIds = new Set(kpiCatalog.map((k) => k.id));

const isSection = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** The section at `keys`, made (or made a section again) where an earlier mutation removed or replaced it. */
function at(doc: Doc, keys: readonly (string | number)[]): Record<string | number, unknown> {
  let node = doc as Record<string | number, unknown>;
  keys.forEach((key, i) => {
    const next = node[key];
    const wantsList = typeof keys[i + 1] === 'number';
    if (wantsList ? !Array.isArray(next) : !isSection(next)) node[key] = wantsList ? [] : {};
    node = node[key] as Record<string | number, unknown>;
  });
  return node;
}

/** The section at `keys` if every step exists as one, else undefined. */
function existing(doc: Doc, keys: readonly (string | number)[]): Record<string | number, unknown> | undefined {
  let node: unknown = doc;
  for (const key of keys) {
    node = (node as Record<string | number, unknown>)[key];
    if (typeof node !== 'object' || node === null) return undefined;
  }
  return Array.isArray(node) && typeof keys.at(-1) !== 'number' ? undefined : node as Record<string | number, unknown>;
}
const pathText = (keys: readonly (string | number)[]) =>
  keys.reduce<string>((out, key) => (typeof key === 'number' ? `${out}[${key}]` : out ? `${out}.${key}` : key), '');
const setTo = (name: string, keys: readonly (string | number)[], value: unknown, reported = keys): Mutation => ({
  name: `${name}: ${pathText(keys)} = ${JSON.stringify(value)}`, target: pathText(keys), path: pathText(reported),
  apply: (doc) => {
    at(doc, keys.slice(0, -1))[keys.at(-1)!] = value;
    return true;
  },
});
const remove = (keys: readonly (string | number)[]): Mutation => ({
  name: `missing: ${pathText(keys)}`, target: pathText(keys), path: pathText(keys),
  apply: (doc) => {
    const parent = existing(doc, keys.slice(0, -1));
    if (!isSection(parent) || !(keys.at(-1)! in parent)) return false;
    delete parent[keys.at(-1)!];
    return true;
  },
});

const smallText = fc.string({ maxLength: 12 });
const notAString = fc.oneof(fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.integer(), { minLength: 1, maxLength: 2 }), fc.constant({ a: 1 }));
const notANumber = fc.oneof(smallText, fc.boolean(), fc.constant(null), fc.array(fc.integer(), { minLength: 1, maxLength: 2 }));
const notAnIntInRange = (min: number, max: number) => fc.oneof(
  fc.integer({ max: min - 1 }), fc.integer({ min: max + 1 }), fc.double({ min, max, noNaN: true }).filter((n) => !Number.isInteger(n)), notANumber,
);
const notMatching = (pattern: RegExp) => fc.oneof(notAString, smallText.filter((s) => !pattern.test(s)));
const notOneOf = (allowed: readonly string[]) => fc.oneof(notAString, smallText.filter((s) => !allowed.includes(s)));
const badDate = fc.oneof(
  fc.constantFrom('2026/01/31', '31-01-2026', 'yesterday', '2026-1-31', '', '2026-01-31T00:00:00Z', '2026-02-30', '2025-02-29', '2026-13-01', '2026-00-10'),
  fc.integer(), fc.boolean(),
);
/** A key no section has (every one starts with x_). */
const unknownKey = fc.stringMatching(/^[a-z]{1,10}$/).map((name) => `x_${name}`);
const badMonth = fc.oneof(fc.constantFrom('2024-13', '2024-00', '2024/01', '24-01', 'January'), fc.integer());
const source = fc.integer({ min: 0, max: sourceCount - 1 });
/** Sources with report settings (lookbackDays, backfillDays, startDate): all but Salesforce. */
const reportSource = fc.constantFrom(...(example.sources as { type: string }[]).flatMap((s, i) => (s.type === 'salesforce' ? [] : [i])));
const goal = fc.integer({ min: 0, max: goalCount - 1 });
const recipient = fc.integer({ min: 0, max: recipientCount - 1 });
const isTimeZone = (zone: string) => {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
};

/** One invalid change to the example. */
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  // Wrong types and values at the top
  notOneOf([]).map((v) => setTo('wrong type', ['version'], v)),
  fc.integer({ min: 2, max: 99 }).map((v) => setTo('unknown value', ['version'], v)),
  fc.oneof(notAString, smallText.filter((s) => !isTimeZone(s))).map((v) => setTo('bad time zone', ['timezone'], v)),
  notMatching(/^[A-Z]{3}$/).map((v) => setTo('bad currency', ['currency'], v)),
  notAnIntInRange(7, 1100).map((v) => setTo('out of range', ['snapshot', 'historyDays'], v)),
  fc.oneof(notAString, fc.constant({ ko: 1 })).map((v) => setTo('wrong type', ['email'], v)),
  fc.oneof(fc.constantFrom('', 'a', 'ab'), notAString).map((v) => setTo('too short', ['email', 'from'], v)),
  fc.constantFrom('not a url', 'bi.example.com', 'http//x').map((v) => setTo('bad url', ['email', 'dashboardUrl'], v)),
  fc.constantFrom('data-team', 'a@', '@example.com').map((v) => setTo('bad email', ['email', 'dataTeam'], v)),
  fc.oneof(smallText, fc.integer()).map((v) => setTo('not a list', ['kpis', 'microConversionEvents'], v)),
  // Sources
  fc.tuple(source, notMatching(/^[a-z][a-z0-9_]{0,39}$/)).map(([i, v]) => setTo('bad id', ['sources', i, 'id'], v)),
  fc.tuple(source, notOneOf([...sourceTypes])).map(([i, v]) => setTo('unknown source type', ['sources', i, 'type'], v)),
  fc.tuple(reportSource, notAnIntInRange(1, 90)).map(([i, v]) => setTo('out of range', ['sources', i, 'lookbackDays'], v)),
  fc.tuple(reportSource, notAnIntInRange(1, 3650)).map(([i, v]) => setTo('out of range', ['sources', i, 'backfillDays'], v)),
  fc.tuple(reportSource, badDate).map(([i, v]) => setTo('bad date', ['sources', i, 'startDate'], v)),
  fc.tuple(source, notANumber).map(([i, v]) => setTo('wrong type', ['sources', i, 'sandbox', 'seed'], v)),
  fc.tuple(source, fc.constantFrom('cron(0 5 * * *)', 'every day', 'rate(5 weeks)')).map(([i, v]) => setTo('bad schedule', ['sources', i, 'schedule'], v)),
  fc.tuple(source, fc.integer({ min: 0, max: sourceCount - 1 })).filter(([i, j]) => i !== j)
    .map(([i, j]) => setTo('duplicate id', ['sources', Math.max(i, j), 'id'], (example.sources as { id: string }[])[Math.min(i, j)]!.id)),
  fc.oneof(notMatching(/^\d+$/), fc.integer({ min: 1 })).map((v) => setTo('bad property id', ['sources', ga4, 'propertyId'], v)),
  fc.constantFrom('123-456', 'abc-def-ghij', '12345678901').map((v) => setTo('bad customer id', ['sources', googleAds, 'customerIds'], [v])),
  source.map((i) => remove(['sources', i, 'id'])),
  source.map((i) => remove(['sources', i, 'type'])),
  fc.constant(remove(['sources', ga4, 'propertyId'])),
  fc.constant(remove(['sources', googleAds, 'customerIds'])),
  fc.constant(remove(['sources', meta, 'accountIds'])),
  // Recipients
  fc.tuple(recipient, fc.constantFrom('not-an-email', 'kim@', 42)).map(([i, v]) => setTo('bad email', ['recipients', i, 'email'], v)),
  fc.tuple(recipient, notOneOf(['ko', 'en'])).map(([i, v]) => setTo('unknown locale', ['recipients', i, 'locale'], v)),
  recipient.map((i) => remove(['recipients', i, 'email'])),
  // Goals
  fc.tuple(goal, notMatching(/^[a-z0-9][a-z0-9_-]*$/)).map(([i, v]) => setTo('bad id', ['goals', i, 'id'], v)),
  fc.tuple(goal, smallText.filter((s) => !kpiIds.has(s))).map(([i, v]) => setTo('unknown KPI', ['goals', i, 'kpi'], v)),
  fc.tuple(goal, notOneOf(['day', 'week', 'month', 'quarter'])).map(([i, v]) => setTo('unknown grain', ['goals', i, 'grain'], v)),
  fc.tuple(goal, notOneOf(['at_least', 'at_most'])).map(([i, v]) => setTo('unknown direction', ['goals', i, 'direction'], v)),
  fc.tuple(goal, notOneOf(['info', 'warning', 'critical'])).map(([i, v]) => setTo('unknown severity', ['goals', i, 'severity'], v)),
  fc.tuple(goal, fc.oneof(smallText, fc.boolean(), fc.constant(null), fc.constant({ change: 'a lot', vs: 'previous_period' }), fc.constant({ change: 0.2, vs: 'last_week' })))
    .map(([i, v]) => setTo('bad target', ['goals', i, 'target'], v)),
  fc.tuple(goal, fc.constantFrom('nobody@example.com', 'someone.else@example.org')).map(([i, v]) => setTo('unlisted recipient', ['goals', i, 'recipients'], [v], ['goals', i, 'recipients', 0])),
  fc.tuple(goal, fc.constant([])).map(([i, v]) => setTo('no recipient', ['goals', i, 'recipients'], v)),
  fc.tuple(goal, fc.constantFrom({ planet: 'mars' }, { device: 'mobile' })).map(([i, v]) => setTo('unknown segment', ['goals', i, 'segment'], v, ['goals', i, 'segment'])),
  fc.tuple(goal, fc.integer({ min: 0, max: goalCount - 1 })).filter(([i, j]) => i !== j)
    .map(([i, j]) => setTo('duplicate id', ['goals', Math.max(i, j), 'id'], (example.goals as { id: string }[])[Math.min(i, j)]!.id)),
  fc.tuple(goal, fc.constantFrom('kpi', 'target', 'direction', 'owner', 'recipients', 'id')).map(([i, key]) => remove(['goals', i, key])),
  badDate.map((v) => setTo('bad date', ['goals', timeBound, 'deadline'], v)),
  fc.constant(setTo('deadline before start', ['goals', timeBound, 'deadline'], '2000-01-01')),
  fc.constant(remove(['goals', timeBound, 'deadline'])),
  // Exchange rates
  notMatching(/^[A-Z]{3}$/).map((v) => setTo('bad currency', ['fx', 0, 'currency'], v)),
  fc.oneof(fc.integer({ max: 0 }), notANumber).map((v) => setTo('bad rate', ['fx', 0, 'rate'], v)),
  badMonth.map((v) => setTo('bad month', ['fx', 0, 'from'], v)),
  fc.constant(setTo('from after to', ['fx', 0, 'from'], '2028-01', ['fx', 0])),
  fc.constant(remove(['fx', 0, 'rate'])),
  fc.constant(remove(['version'])),
  fc.constant(remove(['email'])),
  fc.constant(remove(['email', 'from'])),
  // Unknown keys, anywhere
  fc.tuple(unknownKey, fc.oneof(smallText, fc.integer())).map(([key, v]) => setTo('unknown key', [key], v)),
  fc.tuple(source, unknownKey, fc.integer()).map(([i, key, v]) => setTo('unknown key', ['sources', i, key], v)),
  fc.tuple(goal, unknownKey, smallText).map(([i, key, v]) => setTo('unknown key', ['goals', i, key], v)),
  fc.tuple(recipient, unknownKey, smallText).map(([i, key, v]) => setTo('unknown key', ['recipients', i, key], v)),
  fc.tuple(unknownKey, smallText).map(([key, v]) => setTo('unknown key', ['email', key], v)),
  fc.constant(setTo('misspelt key', ['sources', 0, 'lookbakDays'], 3)),
);

interface InvalidDocument {
  readonly text: string;
  readonly names: readonly string[];
  /** Each must begin some problem's path. */
  readonly paths: readonly string[];
}

const brokenYaml: fc.Arbitrary<InvalidDocument> = fc.tuple(
  fc.integer({ min: 0, max: exampleText.split('\n').length }),
  fc.constantFrom('broken: [unclosed, flow', 'quote: "never closed', '\tindented: with a tab', 'key: value: another', '- a list item: {'),
).map(([line, snippet]) => {
  const lines = exampleText.split('\n');
  lines.splice(line, 0, snippet);
  return { text: lines.join('\n'), names: [`broken YAML at line ${line + 1}: ${snippet}`], paths: [] };
});

const invalidDocument: fc.Arbitrary<InvalidDocument> = fc.oneof(
  { weight: 6, arbitrary: fc.array(mutation, { minLength: 1, maxLength: 3 }).map((mutations) => {
    const doc = structuredClone(example);
    const applied: Mutation[] = [];
    for (const m of mutations) {
      if (!m.apply(doc)) continue;
      // A later change to the same place (or around it) replaces what an earlier one expected there.
      const overlaps = (a: string, b: string) => a === b || a.startsWith(`${b}.`) || a.startsWith(`${b}[`) || b.startsWith(`${a}.`) || b.startsWith(`${a}[`);
      for (let i = applied.length - 1; i >= 0; i--) if (overlaps(applied[i]!.target, m.target)) applied.splice(i, 1);
      applied.push(m);
    }
    return { text: stringify(doc), names: mutations.map((m) => m.name), paths: applied.map((m) => m.path) };
  }).filter((document) => document.paths.length > 0) },
  { weight: 1, arbitrary: brokenYaml },
);

/** The error parseConfig throws, checked to be readable: a ConfigError, each problem with a path and a message. */
function readableError(document: InvalidDocument): ConfigError {
  let thrown: unknown;
  try {
    parseConfig(document.text, 'pipeline.yaml', connectors);
  } catch (error) {
    thrown = error;
  }
  const context = document.names.join('; ');
  expect(thrown, context).toBeInstanceOf(ConfigError);
  const error = thrown as ConfigError;
  expect(error.problems.length, context).toBeGreaterThan(0);
  for (const problem of error.problems) {
    expect(problem.path.trim(), `${context}: ${problem.message}`).not.toBe('');
    expect(problem.message.trim(), `${context}: ${problem.path}`).not.toBe('');
  }
  expect(error.message, context).not.toMatch(/\n\s+at /);
  // A problem names a place that was changed. (Not always every one: an unknown key in a section
  // that has a schema mistake too is named once the mistake is fixed.)
  if (document.paths.length > 0) {
    const named = document.paths.filter((expected) => error.problems.some((p) => p.path.startsWith(expected)));
    expect(named.length, `${context}: ${JSON.stringify(error.problems)}`).toBeGreaterThan(0);
  }
  if (document.paths.length === 0) expect(error.problems[0]!.path, context).toMatch(/^line \d+, column \d+$/);
  return error;
}

describe('invalid pipeline.yaml documents (fast-check, mutations of examples/pipeline.yaml)', () => {
  it('the example itself is valid (the mutations start from a good document)', () => {
    expect(parseConfig(stringify(example), 'pipeline.yaml', connectors).sources).toHaveLength(sourceCount);
  });

  it('every one gives a ConfigError whose problems each have a path and a message, naming where the mistake is', () => {
    fc.assert(fc.property(invalidDocument, (document) => {
      readableError(document);
    }), { numRuns: 250, seed: 20261016 });
  });

  it('a document that is not a mapping at all gets one problem at the top level', () => {
    // Act
    const errors = ['just text', '- a\n- b', ''].map((text) => {
      try {
        parseConfig(text, 'pipeline.yaml', connectors);
        return undefined;
      } catch (error) {
        return error as ConfigError;
      }
    });
    // Assess: the path is empty and the message says "(top level)".
    expect(errors.map((e) => [e?.problems, e?.message])).toEqual([
      [[{ path: '', message: 'write an object here, not string "just text"' }], 'pipeline.yaml: 1 problem\n  - (top level): write an object here, not string "just text"'],
      [[{ path: '', message: 'write an object here, not a list' }], 'pipeline.yaml: 1 problem\n  - (top level): write an object here, not a list'],
      [[{ path: '', message: 'write an object here, not an empty value' }], 'pipeline.yaml: 1 problem\n  - (top level): write an object here, not an empty value'],
    ]);
  });

  it('names a misspelt key and the key it probably is, and a date that is not in the calendar', () => {
    // Prepare
    const doc = structuredClone(example);
    ((doc.sources as Doc[])[ga4]!).lookbakDays = 3;
    ((doc.sources as Doc[])[ga4]!).startDate = '2026-02-30';
    // Act
    const error = readableError({ text: stringify(doc), names: ['misspelt key, impossible date'], paths: [`sources[${ga4}].lookbakDays`, `sources[${ga4}].startDate`] });
    // Assess
    expect(error.problems).toEqual([
      { path: `sources[${ga4}].startDate`, message: 'write a real calendar date as YYYY-MM-DD, e.g. 2026-01-31' },
      { path: `sources[${ga4}].lookbakDays`, message: 'unknown key "lookbakDays"; did you mean lookbackDays?' },
    ]);
  });

  it('reports a goal\'s unknown KPI in the same run as another goal\'s schema mistake', () => {
    // Prepare
    const doc = structuredClone(example);
    ((doc.goals as Doc[])[0]!).kpi = 'no_such_kpi';
    ((doc.goals as Doc[])[1]!).recipients = [];
    // Act
    const error = readableError({ text: stringify(doc), names: ['unknown KPI and empty recipients'], paths: ['goals[0].kpi', 'goals[1].recipients'] });
    // Assess
    expect(error.problems.map((p) => p.path)).toEqual(['goals[1].recipients', 'goals[0].kpi']);
  });
});

describe('kpi validate and kpi sync on invalid documents (the CLI)', () => {
  let dir = '';
  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('exit 2 with the problems and no stack trace; sync runs nothing and writes nothing', async () => {
    // Prepare: three generated documents (a fixed seed), written to files; the third goes to `kpi sync`.
    dir = await mkdtemp(path.join(os.tmpdir(), 'kpi-config-property-'));
    const documents = fc.sample(invalidDocument, { numRuns: 3, seed: 7 });
    const files = await Promise.all(documents.map(async (document, i) => {
      const file = path.join(dir, `invalid-${i}.yaml`);
      await writeFile(file, document.text);
      return file;
    }));
    const dataDir = path.join(dir, 'data');

    // Act
    const runs = await Promise.all([
      runKpi(['validate', '-c', files[0]!]),
      runKpi(['validate', '-c', files[1]!]),
      runKpi(['sync', '-c', files[2]!, '-d', dataDir]),
    ]);

    // Assess
    for (const [i, run] of runs.entries()) {
      const file = files[i]!;
      expect(run.code, run.stderr).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(new RegExp(`^kpi: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: \\d+ problems?\\n  - `));
      expect(run.stderr.split('\n').filter((line) => /^\s+at /.test(line))).toEqual([]);
    }
    expect(existsSync(dataDir)).toBe(false);
  }, 30_000);
});
