import nodeSqlParser from 'node-sql-parser';
import { describe, expect, it } from 'vitest';
import type { Grain } from '../../core/config/schema.ts';
import { QueryError } from '../../core/errors.ts';
import { kpiCatalog } from '../../core/kpi/catalog.ts';
import { factSourceById, factSources, measureById, measures, type Measure, type SqlContext } from '../../core/kpi/measures.ts';
import { renderSnapshotSql, type FactSourceQuery } from '../../core/kpi/snapshot-sql.ts';
import { bindParams, identifier } from '../../core/query/sql.ts';

const { Parser } = nodeSqlParser;
const parser = new Parser();
/** node-sql-parser 5.4 ships a Trino grammar (build/trino.js); the option is `database`. */
const trino = { database: 'trino' };

const grains: readonly Grain[] = ['day', 'week', 'month'];
const context: SqlContext = { microConversionEvents: ['sign_up', 'file_download', 'generate_lead'], timezone: 'Asia/Seoul' };

/** Every measure a catalog KPI uses (numerator, denominator, gate). */
function catalogMeasures(): Measure[] {
  const ids = new Set(kpiCatalog.flatMap((k) => [k.numerator, k.denominator, k.gate?.measure]).filter((id): id is string => id !== undefined));
  return [...ids].map((id) => measureById.get(id)!);
}

/** The fact sources the catalog's KPIs read, each with every measure defined on it. */
const catalogTables: readonly string[] = [...new Set(catalogMeasures().map((m) => m.source))].sort();

function queryFor(sourceId: string, overrides: Partial<FactSourceQuery> = {}): FactSourceQuery {
  const source = factSourceById.get(sourceId)!;
  return {
    source,
    measures: measures.filter((m) => m.source === sourceId),
    segments: source.segments,
    grains,
    from: '2026-08-01',
    to: '2026-11-22',
    context,
    ...overrides,
  };
}

describe('renderSnapshotSql parsed as Trino', () => {
  it('covers the GA4 tables, the unified ad model and the CRM sources', () => {
    // Prepare: catalogTables above
    // Act: nothing, this checks the fixture the table-wise tests below run on
    // Assess
    expect(catalogTables).toEqual([
      'ad_performance_daily', 'ga4_events_daily', 'ga4_traffic_daily',
      'sf_leads_created', 'sf_leads_mql', 'sf_new_customers', 'sf_opportunities_closed', 'sf_opportunities_created',
    ]);
  });

  it.each(catalogTables)('%s: the whole statement parses as Trino, reads the table, and names every measure and segment', (table) => {
    // Prepare
    const query = queryFor(table);
    const segments = factSourceById.get(table)!.segments;
    // Act
    const sql = renderSnapshotSql(query);
    const parsed = parser.parse(sql, trino);
    // Assess
    expect(parsed.tableList).toEqual([`select::null::${factSourceById.get(table)!.coverageTable}`]);
    const ast = (Array.isArray(parsed.ast) ? parsed.ast[0] : parsed.ast) as unknown as {
      type: string;
      columns: Array<{ as: string | null }>;
      groupby: { columns: Array<{ column: { expr: { value: string } } }> } | null;
    };
    expect(ast.type).toBe('select');
    expect(ast.groupby?.columns.map((c) => c.column.expr.value)).toEqual(['grain', 'period_start', ...segments]);
    const aliases = ast.columns.map((c) => c.as).filter((a) => a !== null);
    expect(aliases).toEqual(query.measures.map((m) => `m_${m.id}`));
  });

  it('the VALUES list of grains with a column alias parses in Trino mode', () => {
    // Prepare
    const sql = renderSnapshotSql(queryFor('ga4_events_daily', { grains: ['week', 'month'] }));
    const values = sql.split('\n').find((line) => line.includes('CROSS JOIN (VALUES'))?.trim();
    // Act
    const ast = parser.astify(`SELECT g.grain FROM ga4_events_daily AS t ${values}`, trino) as unknown as { from: Array<{ as: string; join?: string }> };
    // Assess
    expect(values).toBe("CROSS JOIN (VALUES ('week'), ('month')) AS g (grain)");
    expect(ast.from[1]).toMatchObject({ join: 'CROSS JOIN', as: 'g(grain)' });
  });

  it.each(catalogTables)('%s: uses no function outside the Trino/DuckDB subset (date_add, date_format, date_parse, format)', (table) => {
    // Prepare
    const query = queryFor(table);
    // Act
    const sql = renderSnapshotSql(query);
    // Assess
    expect(sql).not.toMatch(/\bdate_add\b/i);
    expect(sql).not.toMatch(/\bdate_format\b/i);
    expect(sql).not.toMatch(/\bdate_parse\b/i);
    expect(sql).not.toMatch(/\bformat\s*\(/i);
    expect(sql).not.toMatch(/\bAT TIME ZONE\b/i);
    expect(sql).toContain("WHEN 'week' THEN CAST(date_trunc('week', d.business_date) AS DATE)");
    const date = query.source.date(context);
    expect(sql).toContain(`${date} >= DATE '2026-08-01' AND ${date} <= DATE '2026-11-22'`);
    if (query.source.partitionPruning) expect(sql).toContain("WHERE t.dt >= '2026-08-01' AND t.dt <= '2026-11-22'");
    else expect(sql).not.toContain('t.dt');
  });

  it('renders one measure, one segment and one grain exactly', () => {
    // Prepare
    const query = queryFor('ga4_traffic_daily', { measures: [measureById.get('sessions')!], segments: ['channel_group'], grains: ['day'] });
    // Act
    const sql = renderSnapshotSql(query);
    // Assess
    expect(sql).toBe([
      'SELECT grain, period_start',
      ', channel_group',
      ', SUM(m_sessions) AS m_sessions',
      'FROM (',
      "  SELECT g.grain, CASE g.grain WHEN 'day' THEN d.business_date END AS period_start",
      "  , COALESCE(d.channel_group, '(not set)') AS channel_group",
      '  , CAST(sessions AS DOUBLE) AS m_sessions',
      '  FROM (SELECT t.*, t.date AS business_date FROM ga4_traffic_daily AS t',
      "        WHERE t.dt >= '2026-08-01' AND t.dt <= '2026-11-22'",
      "          AND t.date >= DATE '2026-08-01' AND t.date <= DATE '2026-11-22') AS d",
      "  CROSS JOIN (VALUES ('day')) AS g (grain)",
      ') AS x',
      'GROUP BY grain, period_start, channel_group',
    ].join('\n'));
  });

  it("quotes a micro-conversion event name with a quote as 'it''s', and it still parses", () => {
    // Prepare
    const query = queryFor('ga4_events_daily', { context: { ...context, microConversionEvents: ["it's", 'sign_up'] } });
    // Act
    const sql = renderSnapshotSql(query);
    const parse = () => parser.astify(sql, trino);
    // Assess
    expect(sql).toContain("CASE WHEN event_name IN ('it''s', 'sign_up') THEN event_count ELSE 0 END");
    expect(sql).not.toContain("'it's'");
    expect(parse).not.toThrow();
  });

  it.each([
    ['a date with a payload', "2026-08-01' OR 1=1 --", '2026-11-22'],
    ['an impossible date', '2026-02-30', '2026-03-31'],
    ['a non-date end', '2026-08-01', 'yesterday'],
  ])('throws a QueryError for a window that is not two dates: %s', (_name, from, to) => {
    // Prepare
    const query = queryFor('ga4_traffic_daily', { from, to });
    // Act
    const act = () => renderSnapshotSql(query);
    // Assess
    expect(act).toThrow(QueryError);
    expect(act).toThrow(`snapshot window must be YYYY-MM-DD dates: ${from} … ${to}`);
  });

  it('throws a QueryError when a segment is not a plain identifier', () => {
    // Prepare
    const query = queryFor('ga4_traffic_daily', { segments: ['channel_group) --'] });
    // Act
    const act = () => renderSnapshotSql(query);
    // Assess
    expect(act).toThrow(QueryError);
  });
});

describe('identifier', () => {
  it('accepts a plain lower-case identifier', () => {
    // Prepare / Act
    const name = identifier('ga4_traffic_daily');
    // Assess
    expect(name).toBe('ga4_traffic_daily');
  });

  it.each(['sessions; drop table x', '"x"', 'Sessions', '1st', ''])('rejects %j', (name) => {
    // Prepare: the name above
    // Act
    const act = () => identifier(name);
    // Assess
    expect(act).toThrow(QueryError);
    expect(act).toThrow(`not a plain identifier: ${JSON.stringify(name)}`);
  });
});

describe('bindParams', () => {
  it('binds strings, numbers, null and booleans as literals', () => {
    // Prepare
    const sql = 'select * from t where a = ? and b = ? and c is ? and d = ? and e = ? and f = ?';
    // Act
    const bound = bindParams(sql, ["O'Brien", 42.5, null, true, false, -3]);
    // Assess
    expect(bound).toBe("select * from t where a = 'O''Brien' and b = 42.5 and c is NULL and d = TRUE and e = FALSE and f = -3");
  });

  it('leaves ? inside string literals alone, also after an escaped quote', () => {
    // Prepare
    const sql = "select '?' as q, 'it''s ?' as r, ? as p";
    // Act
    const bound = bindParams(sql, ['x']);
    // Assess
    expect(bound).toBe("select '?' as q, 'it''s ?' as r, 'x' as p");
  });

  it('leaves ? inside comments and double-quoted identifiers alone', () => {
    // Prepare
    const sql = '-- don\'t bind this ?\nSELECT "it\'s?" AS x, ? AS y';
    // Act
    const bound = bindParams(sql, [1]);
    // Assess
    expect(bound).toBe('-- don\'t bind this ?\nSELECT "it\'s?" AS x, 1 AS y');
  });

  it('returns the SQL unchanged without placeholders or parameters', () => {
    // Prepare
    const sql = 'select 1';
    // Act
    const bound = bindParams(sql);
    // Assess
    expect(bound).toBe('select 1');
  });

  it('throws when there are more placeholders than parameters', () => {
    // Prepare
    const sql = 'select ?, ?';
    // Act
    const act = () => bindParams(sql, [1]);
    // Assess
    expect(act).toThrow(QueryError);
    expect(act).toThrow('query has more ? placeholders than the 1 parameters given');
  });

  it('throws when there are more parameters than placeholders', () => {
    // Prepare
    const sql = "select ?, '?'";
    // Act
    const act = () => bindParams(sql, [1, 2]);
    // Assess
    expect(act).toThrow(QueryError);
    expect(act).toThrow('query has 1 ? placeholders but 2 parameters were given');
  });

  it('throws on a number that is not finite', () => {
    // Prepare
    const sql = 'select ?';
    // Act
    const act = () => bindParams(sql, [Number.NaN]);
    // Assess
    expect(act).toThrow(QueryError);
  });
});

describe('KPI catalog consistency', () => {
  it('every numerator, denominator and gate measure exists', () => {
    // Prepare
    const used = kpiCatalog.flatMap((k) => [k.numerator, k.denominator, k.gate?.measure].filter((id) => id !== undefined).map((id) => ({ kpi: k.id, id })));
    // Act
    const missing = used.filter(({ id }) => !measureById.has(id));
    // Assess
    expect(used.length).toBeGreaterThan(kpiCatalog.length);
    expect(missing).toEqual([]);
  });

  it("every KPI segment is a segment dimension of every fact source the KPI's measures come from", () => {
    // Prepare
    const problems: string[] = [];
    // Act
    for (const kpi of kpiCatalog) {
      const sources = new Set([kpi.numerator, kpi.denominator, kpi.gate?.measure].filter((id) => id !== undefined).map((id) => measureById.get(id)?.source ?? '?'));
      for (const segment of kpi.segments) {
        for (const source of sources) {
          if (!(factSourceById.get(source)?.segments ?? []).includes(segment)) problems.push(`${kpi.id}: ${segment} not in ${source}`);
        }
      }
    }
    // Assess
    expect(problems).toEqual([]);
  });

  it('KPI ids and measure ids are unique', () => {
    // Prepare
    const kpiIds = kpiCatalog.map((k) => k.id);
    const measureIds = measures.map((m) => m.id);
    // Act
    const duplicateKpis = kpiIds.filter((id, i) => kpiIds.indexOf(id) !== i);
    const duplicateMeasures = measureIds.filter((id, i) => measureIds.indexOf(id) !== i);
    // Assess
    expect(duplicateKpis).toEqual([]);
    expect(duplicateMeasures).toEqual([]);
    expect(kpiIds).toHaveLength(31);
  });

  it('every KPI has a Korean and an English name', () => {
    // Prepare / Act
    const unnamed = kpiCatalog.filter((k) => k.name.ko.trim() === '' || k.name.en.trim() === '').map((k) => k.id);
    // Assess
    expect(unnamed).toEqual([]);
    expect(kpiCatalog.every((k) => /[가-힣]/.test(k.name.ko))).toBe(true);
  });

  it("every KPI's gate has a positive minimum and every measure's fact source exists", () => {
    // Prepare / Act
    const badGates = kpiCatalog.filter((k) => k.gate !== undefined && !(k.gate.min > 0)).map((k) => k.id);
    const undeclared = measures.filter((m) => !factSources.some((s) => s.id === m.source)).map((m) => m.id);
    // Assess
    expect(badGates).toEqual([]);
    expect(undeclared).toEqual([]);
  });
});
