import { readFile } from 'node:fs/promises';
import { parseDocument, LineCounter } from 'yaml';
import type { z } from 'zod';
import type { Connector } from '../connector.ts';
import { ConfigError, type ConfigProblem } from '../errors.ts';
import { kpiById, kpiCatalog } from '../kpi/catalog.ts';
import { PipelineConfigBase, type PipelineConfig, type SourceBase } from './schema.ts';

export interface ConfiguredSource {
  readonly config: SourceBase;
  readonly connector: Connector;
}

export interface LoadedConfig {
  readonly file: string;
  readonly config: PipelineConfig;
  readonly sources: readonly ConfiguredSource[];
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
  const base = PipelineConfigBase.safeParse(raw);
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
    const parsed = connector.configSchema.safeParse(entry);
    if (!parsed.success) {
      problems.push(...toProblems(parsed.error, `sources[${index}]`));
      return;
    }
    if (seenIds.has(parsed.data.id)) problems.push({ path: `sources[${index}].id`, message: `duplicate source id "${parsed.data.id}"; give each source its own id` });
    seenIds.add(parsed.data.id);
    sources.push({ config: parsed.data, connector });
  });

  if (base.success) problems.push(...checkGoals(base.data));
  if (problems.length > 0 || !base.success) throw new ConfigError(file, dedupe(problems));
  return { file, config: { ...base.data, sources: sources.map((s) => s.config) }, sources };
}

function checkGoals(config: PipelineConfig): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const recipients = new Set(config.recipients.map((r) => r.email.toLowerCase()));
  const goalIds = new Set<string>();
  config.goals.forEach((goal, index) => {
    const at = `goals[${index}]`;
    if (goalIds.has(goal.id)) problems.push({ path: `${at}.id`, message: `duplicate goal id "${goal.id}"` });
    goalIds.add(goal.id);
    const kpi = kpiById.get(goal.kpi);
    if (!kpi) {
      problems.push({ path: `${at}.kpi`, message: `unknown KPI "${goal.kpi}"; write one of: ${kpiCatalog.map((k) => k.id).join(', ')}` });
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
  return error.issues.map((issue) => ({
    path: formatPath(prefix, issue.path),
    message: issue.code === 'invalid_type' && issue.input === undefined ? `required: ${issue.message.replace(/^Invalid input: expected (\w+), received undefined$/, 'write a $1 here')}` : issue.message,
  }));
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
