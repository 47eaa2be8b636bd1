import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { connectors } from '../../connectors/index.ts';
import { loadConfig, parseConfig } from '../../core/config/load-config.ts';
import { ConfigError, type ConfigProblem } from '../../core/errors.ts';
import { kpiCatalog } from '../../core/kpi/catalog.ts';

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

/** A small valid config; each mistake test changes one thing in it. */
const valid = `version: 1
sources:
  - id: web
    type: ga4
    propertyId: "123456789"
    sandbox: {}
recipients:
  - email: kim@example.com
goals:
  - id: conversion-weekly
    kpi: conversion_rate
    target: 0.03
    direction: at_least
    owner: Kim
    recipients: [kim@example.com]
email:
  from: "KPI <kpi@example.com>"
`;

/** Parses and returns the ConfigError's problems; fails the test when nothing is thrown. */
function problemsOf(text: string): readonly ConfigProblem[] {
  try {
    parseConfig(text, 'pipeline.yaml', connectors);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected parseConfig to throw a ConfigError');
}

function edit(text: string, from: string | RegExp, to: string): string {
  const edited = text.replace(from, to);
  if (edited === text) throw new Error(`test setup: ${String(from)} not found`);
  return edited;
}

describe('parseConfig on valid files', () => {
  it('parses examples/pipeline.yaml with its sources, goals, recipients and the defaults', async () => {
    // Prepare
    const file = join(repoRoot, 'examples/pipeline.yaml');
    const text = await readFile(file, 'utf8');
    // Act
    const loaded = parseConfig(text, file, connectors);
    // Assess
    const { config } = loaded;
    expect(config.sources).toHaveLength(6);
    expect(config.goals).toHaveLength(10);
    expect(config.recipients).toHaveLength(2);
    expect(config.project).toBe('Acme Shop');
    expect(config.timezone).toBe('Asia/Seoul');
    expect(config.sources[0]).toStrictEqual({
      id: 'web', type: 'ga4', propertyId: '123456789', sandbox: { seed: 42, oddValues: 0 },
      lookbackDays: 3, backfillDays: 90, pageSize: 10_000, chunkDays: 30, maxRowsPerChunk: 250_000, quotaReserveTokens: 500,
      schedule: 'cron(0 5 * * ? *)', function: { memoryMb: 1024, timeoutSeconds: 900 }, maxDataLagDays: 1,
    });
    expect(config.deploy.kpiRunSchedule).toBe('cron(0 7 * * ? *)');
    expect(loaded.sources.map((s) => s.connector.type)).toEqual(['ga4', 'salesforce', 'google_ads', 'meta', 'linkedin', 'tiktok']);
    expect(config.alerts.rules.map((r) => r.id)).toEqual(['conversion-rate-anomaly']);
    expect(config.fx).toEqual([{ currency: 'USD', from: '2024-01', to: '2027-12', rate: 1380 }]);
    expect(config.snapshot.historyDays).toBe(100);
    // goals without severity get the default
    expect(config.goals.map((g) => g.severity)).toEqual(['critical', 'warning', 'warning', 'warning', 'warning', 'warning', 'warning', 'warning', 'warning', 'warning']);
    expect(config.goals.find((g) => g.id === 'sessions-q4-2026')).toMatchObject({ grain: 'quarter', start: '2026-10-01', deadline: '2026-12-31' });
    expect(config.goals[1]?.segment).toEqual({ channel_group: 'Paid Social' });
  });

  it('applies the defaults to a minimal file (lookbackDays 3, grain week, locale ko, KRW, Asia/Seoul)', () => {
    // Prepare: the minimal config above
    // Act
    const { config, file } = parseConfig(valid, 'pipeline.yaml', connectors);
    // Assess
    expect(file).toBe('pipeline.yaml');
    expect(config.sources[0]).toMatchObject({ lookbackDays: 3, backfillDays: 90, sandbox: { seed: 42 } });
    expect(config.goals[0]).toMatchObject({ grain: 'week', severity: 'warning' });
    expect(config.recipients).toStrictEqual([{ email: 'kim@example.com', locale: 'ko' }]);
    expect(config.currency).toBe('KRW');
    expect(config.timezone).toBe('Asia/Seoul');
    expect(config.kpis.microConversionEvents).toEqual(['sign_up', 'file_download', 'generate_lead']);
  });
});

describe('parseConfig reports each mistake with its path and what to write', () => {
  it('unknown source type: lists the known types', () => {
    // Prepare
    const text = edit(valid, 'type: ga4', 'type: ga5');
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems).toStrictEqual([{ path: 'sources[0].type', message: 'unknown source type "ga5"; write one of: ga4, salesforce, google_ads, meta, linkedin, tiktok' }]);
  });

  it('GA4 source with neither auth nor sandbox: asks for auth at sources[0].auth', () => {
    // Prepare
    const text = edit(valid, '    sandbox: {}\n', '');
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('sources[0].auth');
    expect(problems[0]?.message).toContain('add auth: { type: service_account, secret: <secret name> }');
    expect(problems[0]?.message).toContain('sandbox: {}');
  });

  it('non-numeric propertyId: asks for the numeric property id', () => {
    // Prepare
    const text = edit(valid, 'propertyId: "123456789"', 'propertyId: "properties/abc"');
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems).toStrictEqual([{
      path: 'sources[0].propertyId',
      message: 'write the numeric GA4 property id, e.g. "123456789" (Admin → Property details)',
    }]);
  });

  it('misspelt time zone Asia/Seul: asks for an IANA name', () => {
    // Prepare
    const text = edit(valid, 'version: 1\n', 'version: 1\ntimezone: Asia/Seul\n');
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems).toStrictEqual([{ path: 'timezone', message: 'write an IANA time zone name, e.g. Asia/Seoul or America/New_York' }]);
  });

  it('goal with unknown KPI conversion_rat: lists every valid KPI id', () => {
    // Prepare
    const text = edit(valid, 'kpi: conversion_rate', 'kpi: conversion_rat');
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems).toStrictEqual([{
      path: 'goals[0].kpi',
      message: `unknown KPI "conversion_rat"; write one of: ${kpiCatalog.map((k) => k.id).join(', ')}`,
    }]);
    expect(problems[0]?.message).toContain('conversion_rate, micro_conversion_rate');
  });

  it('goal recipient not listed under recipients', () => {
    // Prepare
    const text = edit(valid, 'recipients: [kim@example.com]', 'recipients: [kim@example.com, lee@example.com]');
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems).toStrictEqual([{
      path: 'goals[0].recipients[1]',
      message: 'lee@example.com is not listed under recipients; add it there with its locale (ko or en)',
    }]);
  });

  it('goal recipients match the recipients list case-insensitively', () => {
    // Prepare
    const text = edit(valid, 'recipients: [kim@example.com]', 'recipients: [Kim@Example.com]');
    // Act
    const { config } = parseConfig(text, 'pipeline.yaml', connectors);
    // Assess
    expect(config.goals[0]?.recipients).toEqual(['Kim@Example.com']);
  });

  it('segment on a KPI without segments (micro_conversion_rate): says to remove it', () => {
    // Prepare
    const text = edit(valid, 'kpi: conversion_rate', 'kpi: micro_conversion_rate\n    segment: { channel_group: Organic Social }');
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems).toStrictEqual([{ path: 'goals[0].segment.channel_group', message: 'KPI micro_conversion_rate has no segments; remove segment' }]);
  });

  it('segment dimension the KPI is not computed by: lists the allowed ones', () => {
    // Prepare
    const text = edit(valid, 'kpi: conversion_rate', 'kpi: conversion_rate\n    segment: { campaign: black-friday }');
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems).toStrictEqual([{ path: 'goals[0].segment.campaign', message: 'KPI conversion_rate can be segmented by channel_group, not campaign' }]);
  });

  it('duplicate source ids: flags the second one', () => {
    // Prepare
    const text = edit(valid, 'recipients:\n', '  - id: web\n    type: ga4\n    propertyId: "987654321"\n    sandbox: {}\nrecipients:\n');
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems).toStrictEqual([{ path: 'sources[1].id', message: 'duplicate source id "web"; give each source its own id' }]);
  });

  it('invalid YAML: the path names the line and column', () => {
    // Prepare: a tab used as indentation on line 2
    const text = 'version: 1\n\tproject: Acme\nemail:\n  from: kpi@example.com\n';
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems).toStrictEqual([{ path: 'line 2, column 1', message: 'not valid YAML: Tabs are not allowed as indentation' }]);
  });

  it('invalid YAML deeper in the file points at that line', () => {
    // Prepare: an unquoted value with ": " on line 4
    const text = 'version: 1\nemail:\n  from: kpi@example.com\n  dashboardUrl: http://a: b\n';
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('line 4, column 17');
    expect(problems[0]?.message).toMatch(/^not valid YAML: /);
  });

  it('missing version: asks for version: 1', () => {
    // Prepare
    const text = edit(valid, 'version: 1\n', '');
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems).toStrictEqual([{ path: 'version', message: 'write version: 1' }]);
  });

  it('missing email: says email is required', () => {
    // Prepare
    const text = edit(valid, /email:\n {2}from: .*\n/, '');
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems).toHaveLength(1);
    expect(problems[0]?.path).toBe('email');
    expect(problems[0]?.message).toBe('required: add this section (see examples/pipeline.yaml)');
  });
});

describe('parseConfig reports several mistakes in one error', () => {
  it('top-level and source mistakes together: every one of them', () => {
    // Prepare: no version, no email, a non-numeric property id and no auth
    let text = edit(valid, 'version: 1\n', '');
    text = edit(text, /email:\n {2}from: .*\n/, '');
    text = edit(text, '"123456789"', 'abc');
    text = edit(text, '    sandbox: {}\n', '');
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems.map((p) => p.path)).toEqual(['version', 'email', 'sources[0].propertyId', 'sources[0].auth']);
  });

  it('source and goal mistakes together: every one of them', () => {
    // Prepare: unknown source type, an unknown KPI and an unlisted recipient
    let text = edit(valid, 'type: ga4', 'type: hubspot');
    text = edit(text, 'kpi: conversion_rate', 'kpi: conversion_rat');
    text = edit(text, 'recipients: [kim@example.com]', 'recipients: [lee@example.com]');
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems.map((p) => p.path)).toEqual(['sources[0].type', 'goals[0].kpi', 'goals[0].recipients[0]']);
  });

  it('a top-level mistake does not hide goal mistakes', () => {
    // Prepare: a bad time zone and an unknown KPI
    let text = edit(valid, 'version: 1\n', 'version: 1\ntimezone: Asia/Seul\n');
    text = edit(text, 'kpi: conversion_rate', 'kpi: conversion_rat');
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems.map((p) => p.path)).toEqual(['timezone', 'goals[0].kpi']);
  });

  it('an unquoted numeric id says to quote it', () => {
    // Prepare
    const text = edit(valid, '"123456789"', '123456789');
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems).toEqual([{ path: 'sources[0].propertyId', message: 'write text here; quote numbers that are ids, e.g. "123456789"' }]);
  });

  it('the error message lists every problem with its path', () => {
    // Prepare
    let text = edit(valid, 'kpi: conversion_rate', 'kpi: conversion_rat');
    text = edit(text, '"123456789"', 'abc');
    // Act
    const act = () => parseConfig(text, 'pipeline.yaml', connectors);
    // Assess
    expect(act).toThrow(ConfigError);
    expect(act).toThrow(/^pipeline\.yaml: 2 problems\n {2}- sources\[0\]\.propertyId: write the numeric .*\n {2}- goals\[0\]\.kpi: unknown KPI "conversion_rat"/);
  });
});

describe('loadConfig', () => {
  it('on a missing file throws a ConfigError that mentions --config', async () => {
    // Prepare
    const file = join(repoRoot, 'test/unit/no-such-pipeline.yaml');
    // Act
    const result = loadConfig(file, connectors);
    // Assess
    await expect(result).rejects.toBeInstanceOf(ConfigError);
    await expect(result).rejects.toThrow('--config');
    await expect(result).rejects.toMatchObject({
      file,
      problems: [{ path: '', message: 'file not found: pass --config <path> or create pipeline.yaml (see examples/pipeline.yaml)' }],
    });
  });

  it('reads and parses an existing file', async () => {
    // Prepare
    const file = join(repoRoot, 'examples/pipeline.yaml');
    // Act
    const loaded = await loadConfig(file, connectors);
    // Assess
    expect(loaded.file).toBe(file);
    expect(loaded.config.goals.map((g) => g.id)).toContain('conversion-rate-weekly');
  });
});

describe('parseConfig catches typos and impossible values in the same run as everything else', () => {
  it('reports unknown keys with the nearest known key, an impossible date, and every goal on its own', () => {
    // Prepare: a typo in a source, a section, a goal and the email settings; a bad goal beside a goal with an unknown KPI
    const text = `version: 1
sources:
  - { id: web, type: ga4, propertyId: "1", sandbox: {}, lookbakDays: 5, startDate: 2026-02-30 }
recipients: [{ email: kim@example.com }]
goals:
  - { id: a, kpi: sessions, target: 1, direction: sideways, owner: Kim, recipients: [kim@example.com] }
  - { id: b, kpi: sesions, target: 1, direction: at_least, owner: Kim, recipients: [kim@example.com], targt: 3 }
alert: { repeatEveryHours: 12 }
email: { from: "KPI <kpi@example.com>", dashbordUrl: "https://x.example.com" }
`;
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems.map((p) => [p.path, p.message.split(';')[0]])).toEqual([
      ['goals[0].direction', 'write at_least (higher is good) or at_most (lower is good)'],
      ['sources[0].startDate', 'write a real calendar date as YYYY-MM-DD, e.g. 2026-01-31'],
      ['sources[0].lookbakDays', 'unknown key "lookbakDays"'],
      ['alert', 'unknown key "alert"'],
      ['email.dashbordUrl', 'unknown key "dashbordUrl"'],
      ['goals[1].targt', 'unknown key "targt"'],
      ['goals[1].kpi', 'unknown KPI "sesions"'],
    ]);
    expect(problems.find((p) => p.path === 'sources[0].lookbakDays')!.message).toContain('did you mean lookbackDays?');
  });
});

