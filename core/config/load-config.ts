import { readFile } from 'node:fs/promises';
import { parseDocument, LineCounter } from 'yaml';
import type { z } from 'zod';
import type { Connector } from '../connector.ts';
import { ConfigError, type ConfigProblem } from '../errors.ts';
import { checkAlertSettings } from '../alerts/config.ts';
import { buildKpiRegistry, builtInKpis, type KpiRegistry } from '../kpi/registry.ts';
import { buildLakeCatalog } from '../models/lake-catalog.ts';
import type { LakeCatalog } from '../table/lake-catalog.ts';
import { Goal, PipelineConfigBase, type PipelineConfig, type SourceBase } from './schema.ts';

export interface ConfiguredSource {
  readonly config: SourceBase;
  readonly connector: Connector;
}

export interface LoadedConfig {
  readonly file: string;
  readonly config: PipelineConfig;
  readonly sources: readonly ConfiguredSource[];
  /** The catalog's KPIs plus the config's custom ones, validated. */
  readonly kpis: KpiRegistry;
  /** Every public table and view, with what the configured sources add (custom objects). */
  readonly catalog: Required<LakeCatalog>;
}

export async function loadConfig(file: string, connectors: readonly Connector[]): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code;
    throw new ConfigError(file, [{ path: '', message: code === 'ENOENT' ? 'file not found: pass --config <path> or create pipeline.yaml (see examples/pipeline.yaml)' : `cannot read the file (${code})` }]);
  }
  return parseConfig(text, file, connectors);
}

/** Parses and validates pipeline.yaml; throws one ConfigError listing every problem. */
export function parseConfig(text: string, file: string, connectors: readonly Connector[]): LoadedConfig {
  const lines = new LineCounter();
  const document = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (document.errors.length > 0) {
    throw new ConfigError(file, document.errors.map((e) => {
      const at = e.pos ? lines.linePos(e.pos[0]) : undefined;
      return { path: at ? `line ${at.line}, column ${at.col}` : '', message: `not valid YAML: ${e.message.split('\n')[0]}` };
    }));
  }
  const raw: unknown = document.toJS();
  const base = PipelineConfigBase.safeParse(raw, { reportInput: true });
  const problems: ConfigProblem[] = base.success ? [] : toProblems(base.error);

  const sources: ConfiguredSource[] = [];
  const rawSources = Array.isArray((raw as { sources?: unknown })?.sources) ? (raw as { sources: unknown[] }).sources : [];
  const byType = new Map(connectors.map((c) => [c.type, c]));
  const seenIds = new Set<string>();
  rawSources.forEach((entry, index) => {
    const type = (entry as { type?: unknown } | null)?.type;
    const connector = typeof type === 'string' ? byType.get(type) : undefined;
    if (!connector) {
      problems.push({ path: `sources[${index}].type`, message: `unknown source type ${JSON.stringify(type)}; write one of: ${[...byType.keys()].join(', ')}` });
      return;
    }
    const parsed = connector.configSchema.safeParse(entry, { reportInput: true });
    if (!parsed.success) {
      problems.push(...toProblems(parsed.error, `sources[${index}]`));
      problems.push(...unknownKeys(entry, Object.fromEntries(shapeKeys(connector.configSchema).map((k) => [k, undefined])), `sources[${index}]`));
      return;
    }
    problems.push(...unknownKeys(entry, parsed.data, `sources[${index}]`));
    if (seenIds.has(parsed.data.id)) problems.push({ path: `sources[${index}].id`, message: `duplicate source id "${parsed.data.id}"; give each source its own id` });
    seenIds.add(parsed.data.id);
    sources.push({ config: parsed.data, connector });
  });

  // Top-level keys against the schema (always); nested keys against what the schema kept (when it parsed).
  const { sources: _checkedAbove, ...rest } = isPlainObject(raw) ? raw : {};
  const { goals: _goalsBelow, ...restWithoutGoals } = rest;
  const known = base.success
    ? (({ sources: _s, goals: _g, ...parsedRest }) => parsedRest)(base.data)
    : Object.fromEntries(Object.entries(PipelineConfigBase.shape).map(([k, schema]) => [k, skeletonOf(schema)]));
  problems.push(...unknownKeys(restWithoutGoals, known, ''));
  // Custom KPIs and goals are cross-checked even when another part of the file is wrong, so one run shows every problem.
  let kpis = builtInKpis;
  const catalog = buildLakeCatalog(connectors, sources);
  if (base.success) {
    const built = buildKpiRegistry(base.data.kpis.custom, catalog);
    problems.push(...built.problems);
    kpis = built.registry;
  }
  // Each goal on its own: one malformed goal must not hide another goal's unknown KPI.
  const recipients = PipelineConfigBase.shape.recipients.safeParse((raw as { recipients?: unknown } | null)?.recipients);
  const rawGoals = (raw as { goals?: unknown } | null)?.goals;
  const goals = (Array.isArray(rawGoals) ? rawGoals : []).map((goal) => Goal.safeParse(goal));
  goals.forEach((goal, i) => {
    if (goal.success) problems.push(...unknownKeys((rawGoals as unknown[])[i], goal.data, `goals[${i}]`));
  });
  if (recipients.success) {
    problems.push(...checkGoals({ recipients: recipients.data, goals: goals.map((g) => (g.success ? g.data : undefined)) }, kpis));
  }
  const alertsPart = AlertsPart.safeParse(raw);
  if (alertsPart.success) {
    problems.push(...checkAlertSettings(alertsPart.data.alerts, {
      goalIds: alertsPart.data.goals.map((g) => g.id), kpis: kpis.kpiById, recipients: alertsPart.data.recipients.map((r) => r.email),
    }));
  }
  if (problems.length > 0 || !base.success) throw new ConfigError(file, dedupe(problems));
  return { file, config: { ...base.data, sources: sources.map((s) => s.config) }, sources, kpis, catalog };
}

const AlertsPart = PipelineConfigBase.pick({ alerts: true, goals: true, recipients: true });

/** Goals that failed their own schema are undefined here (their problems are already listed). */
function checkGoals(config: { recipients: PipelineConfig['recipients']; goals: ReadonlyArray<PipelineConfig['goals'][number] | undefined> }, kpis: KpiRegistry): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const recipients = new Set(config.recipients.map((r) => r.email.toLowerCase()));
  const goalIds = new Set<string>();
  config.goals.forEach((goal, index) => {
    if (!goal) return;
    const at = `goals[${index}]`;
    if (goalIds.has(goal.id)) problems.push({ path: `${at}.id`, message: `duplicate goal id "${goal.id}"` });
    goalIds.add(goal.id);
    const kpi = kpis.kpiById.get(goal.kpi);
    if (!kpi) {
      problems.push({ path: `${at}.kpi`, message: `unknown KPI "${goal.kpi}"; write one of: ${kpis.kpis.map((k) => k.id).join(', ')}` });
    } else if (goal.segment) {
      const dimensions = Object.keys(goal.segment);
      if (dimensions.length !== 1) problems.push({ path: `${at}.segment`, message: 'name exactly one dimension, e.g. segment: { channel_group: Organic Social }' });
      const bad = dimensions.filter((d) => !kpi.segments.includes(d));
      if (bad.length > 0) {
        problems.push({
          path: `${at}.segment.${bad[0]}`,
          message: kpi.segments.length > 0
            ? `KPI ${kpi.id} can be segmented by ${kpi.segments.join(', ')}, not ${bad[0]}`
            : `KPI ${kpi.id} has no segments; remove segment`,
        });
      }
    }
    goal.recipients.forEach((email, r) => {
      if (!recipients.has(email.toLowerCase())) {
        problems.push({ path: `${at}.recipients[${r}]`, message: `${email} is not listed under recipients; add it there with its locale (ko or en)` });
      }
    });
  });
  return problems;
}

function toProblems(error: z.ZodError, prefix = ''): ConfigProblem[] {
  return error.issues.map((issue) => ({ path: formatPath(prefix, issue.path), message: describeIssue(issue) }));
}

/** zod's own wording for type mistakes says what was wrong; these say what to write. */
function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code !== 'invalid_type' || !issue.message.startsWith('Invalid input')) return issue.message;
  const expected = issue.expected;
  if (issue.input === undefined) {
    return expected === 'object' ? 'required: add this section (see examples/pipeline.yaml)' : `required: write ${article(expected)} ${expected} here`;
  }
  if (expected === 'string' && typeof issue.input === 'number') {
    return `write text here; quote numbers that are ids, e.g. "${issue.input}"`;
  }
  return `write ${article(expected)} ${expected} here, not ${describeValue(issue.input)}`;
}

function article(word: string): string {
  return /^[aeiou]/.test(word) ? 'an' : 'a';
}

function describeValue(value: unknown): string {
  if (value === null) return 'an empty value';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a section';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * Keys the schema dropped are typos (lookbakDays): every one is reported, with the nearest key the
 * schema kept when there is one, instead of silently running with the default.
 */
function unknownKeys(raw: unknown, parsed: unknown, path: string): ConfigProblem[] {
  if (Array.isArray(raw) && Array.isArray(parsed)) {
    return raw.flatMap((item, i) => (i < parsed.length ? unknownKeys(item, parsed[i], `${path}[${i}]`) : []));
  }
  if (!isPlainObject(raw) || !isPlainObject(parsed)) return [];
  const problems: ConfigProblem[] = [];
  for (const [key, value] of Object.entries(raw)) {
    const at = path ? `${path}.${key}` : key;
    if (key in parsed) {
      problems.push(...unknownKeys(value, parsed[key], at));
      continue;
    }
    const nearest = Object.keys(parsed).find((known) => editDistance(known.toLowerCase(), key.toLowerCase()) <= 2);
    problems.push({ path: at, message: `unknown key "${key}"${nearest ? `; did you mean ${nearest}?` : '; remove it (see examples/pipeline.yaml for the keys)'}` });
  }
  return problems;
}

/** An object with the keys a schema allows (nested sections too), for checking a file that did not parse. */
function skeletonOf(schema: unknown): unknown {
  let inner = schema as { shape?: Record<string, unknown>; unwrap?: () => unknown; def?: { innerType?: unknown } };
  for (let depth = 0; depth < 5 && !inner.shape; depth++) {
    const next = inner.def?.innerType ?? (typeof inner.unwrap === 'function' ? inner.unwrap() : undefined);
    if (!next) return undefined;
    inner = next as typeof inner;
  }
  return inner.shape ? Object.fromEntries(Object.entries(inner.shape).map(([k, v]) => [k, skeletonOf(v)])) : undefined;
}

function shapeKeys(schema: unknown): string[] {
  const shape = (schema as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let diagonal = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const above = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, diagonal + (a[i - 1] === b[j - 1] ? 0 : 1));
      diagonal = above;
    }
  }
  return row[b.length]!;
}

function formatPath(prefix: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((acc, key) => (typeof key === 'number' ? `${acc}[${key}]` : acc ? `${acc}.${String(key)}` : String(key)), prefix);
}

function dedupe(problems: ConfigProblem[]): ConfigProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.path}\u0000${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
