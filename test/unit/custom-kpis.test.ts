import { describe, expect, it } from 'vitest';
import { connectors } from '../../connectors/index.ts';
import { parseConfig } from '../../core/config/load-config.ts';
import { ConfigError, type ConfigProblem } from '../../core/errors.ts';
import { evaluateExpression, ExpressionError, parseExpression, referencedKpis } from '../../core/kpi/expression.ts';

const config = (custom: string) => `version: 1
sources:
  - { id: web, type: ga4, propertyId: "1", sandbox: {} }
kpis:
  custom:
${custom}
email: { from: "KPI <kpi@example.com>" }
`;

function problemsOf(text: string): readonly ConfigProblem[] {
  try {
    parseConfig(text, 'pipeline.yaml', connectors);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).problems;
  }
  throw new Error('expected a ConfigError');
}

describe('derived KPI expressions', () => {
  it('parse with precedence and parentheses, and evaluate', () => {
    // Prepare
    const expression = parseExpression('(revenue - spend) / spend * 100 + -1');
    // Act
    const value = evaluateExpression(expression, (id) => ({ revenue: 300, spend: 100 })[id]);
    // Assess: (300 − 100) / 100 × 100 − 1 = 199
    expect(value).toBe(199);
    expect(referencedKpis(expression)).toEqual(['revenue', 'spend']);
  });

  it('give null for a missing value or a division by zero', () => {
    // Prepare
    const ratio = parseExpression('a / b');
    // Act / Assess
    expect(evaluateExpression(ratio, (id) => ({ a: 1, b: 0 })[id])).toBeNull();
    expect(evaluateExpression(ratio, (id) => ({ a: 1 } as Record<string, number>)[id])).toBeNull();
  });

  it.each([
    ['a; drop table x', 'unexpected ";'],
    ['a +', 'the expression ends too early'],
    ['(a + b', 'a "(" is not closed'],
    ["a + 'x'", 'unexpected "\'x\'"'],
    ['a b', 'unexpected "b" after the expression'],
  ])('reject %s with a readable message', (text, message) => {
    // Prepare / Act
    const act = () => parseExpression(text);
    // Assess
    expect(act).toThrow(ExpressionError);
    expect(act).toThrow(message);
  });
});

describe('custom KPIs in pipeline.yaml', () => {
  it('a sum, a ratio and a derived KPI load next to the catalog and can have goals', () => {
    // Prepare
    const text = config(`    - { id: newsletter_signups, kind: sum, name: { ko: 뉴스레터 가입, en: Newsletter sign-ups },
        measure: { table: ga4_events_daily, column: event_count, where: { event_name: newsletter_signup } } }
    - { id: paid_search_cvr, kind: ratio, unit: ratio, name: { ko: 유료 검색 전환율, en: Paid search CVR }, gate: 200,
        numerator: { table: ga4_traffic_daily, column: key_events, where: { channel_group: [Paid Search] } },
        denominator: { table: ga4_traffic_daily, column: sessions, where: { channel_group: [Paid Search] } } }
    - { id: signups_per_purchase, kind: derived, unit: ratio, name: { ko: 구매당 가입, en: Sign-ups per purchase },
        expression: "newsletter_signups / (revenue_web / average_order_value)" }`)
      .replace('email:', `recipients: [{ email: kim@example.com }]
goals:
  - { id: signups, kpi: newsletter_signups, target: 100, direction: at_least, owner: Kim, recipients: [kim@example.com] }
email:`);
    // Act
    const { kpis } = parseConfig(text, 'pipeline.yaml', connectors);
    // Assess
    const ratio = kpis.kpiById.get('paid_search_cvr')!;
    expect(ratio).toMatchObject({ unit: 'ratio', table: 'ga4_traffic_daily', gate: { measure: 'paid_search_cvr_denominator', min: 200 } });
    expect(kpis.measureById.get(ratio.numerator)!.expression({ microConversionEvents: [], timezone: 'UTC' }))
      .toBe("CASE WHEN channel_group IN ('Paid Search') THEN key_events ELSE 0 END");
    expect(kpis.measureById.get('paid_search_cvr_numerator')!.source).toBe('ga4_traffic_daily');
    expect(kpis.kpiById.get('signups_per_purchase')!.expression).toBe('newsletter_signups / (revenue_web / average_order_value)');
  });

  it('a filter value with a quote stays a quoted literal', () => {
    // Prepare
    const text = config(`    - { id: odd, kind: sum, name: { ko: 이상, en: Odd }, measure: { table: ga4_events_daily, column: event_count, where: { event_name: "x' OR 1=1 --" } } }`);
    // Act
    const { kpis } = parseConfig(text, 'pipeline.yaml', connectors);
    // Assess
    expect(kpis.measureById.get('odd_value')!.expression({ microConversionEvents: [], timezone: 'UTC' }))
      .toBe("CASE WHEN event_name = 'x'' OR 1=1 --' THEN event_count ELSE 0 END");
  });

  it('reports every mistake with its path and what to write', () => {
    // Prepare
    const text = config(`    - { id: a, kind: sum, name: { ko: 가, en: A }, measure: { table: ga4_evnts_daily } }
    - { id: b, kind: sum, name: { ko: 나, en: B }, measure: { table: ga4_events_daily, column: event_name, where: { nope: 1 } } }
    - { id: c, kind: derived, name: { ko: 다, en: C }, expression: "sessions / unknown_kpi" }
    - { id: sessions, kind: sum, name: { ko: 라, en: D }, measure: { table: ga4_events_daily } }
    - { id: e, kind: derived, name: { ko: 마, en: E }, expression: "f + 1" }
    - { id: f, kind: derived, name: { ko: 바, en: F }, expression: "e * 2" }`);
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems.map((p) => p.path)).toEqual([
      'kpis.custom[0].measure.table', 'kpis.custom[1].measure.column', 'kpis.custom[1].measure.where.nope',
      'kpis.custom[2].expression', 'kpis.custom[3].id', 'kpis.custom',
    ]);
    expect(problems[0]!.message).toContain('unknown table "ga4_evnts_daily"; write one of: ga4_traffic_daily, ga4_events_daily');
    expect(problems[1]!.message).toContain('ga4_events_daily has no numeric column "event_name"; numeric columns: event_count, total_users');
    expect(problems[3]!.message).toBe('unknown KPI "unknown_kpi"; use KPI ids from the catalog or kpis.custom');
    expect(problems[4]!.message).toBe('"sessions" is already a KPI; choose another id');
    expect(problems[5]!.message).toBe('derived KPIs refer to each other in a cycle: e → f → e');
  });

  it('a segment the catalog does not compute for that table is refused', () => {
    // Prepare
    const text = config(`    - { id: by_source, kind: sum, name: { ko: 출처, en: Source }, segments: [source], measure: { table: ga4_traffic_daily, column: sessions } }`);
    // Act
    const problems = problemsOf(text);
    // Assess
    expect(problems).toEqual([{ path: 'kpis.custom[0].segments', message: 'ga4_traffic_daily is computed with the catalog\'s KPIs, which can be segmented by channel_group only' }]);
  });
});

describe('tables a source adds', () => {
  it("a Salesforce custom object gets its table and _latest view in the catalog, and KPIs can use it", () => {
    // Prepare
    const text = `version: 1
sources:
  - { id: crm, type: salesforce, sandbox: {}, objects: [Lead, Opportunity, Invoice__c] }
kpis:
  custom:
    - { id: invoices, kind: sum, name: { ko: 청구서 수, en: Invoices }, measure: { table: salesforce_invoice__c_latest, date: created_date } }
email: { from: "KPI <kpi@example.com>" }
`;
    // Act
    const { catalog, kpis } = parseConfig(text, 'pipeline.yaml', connectors);
    // Assess
    expect(catalog.tables.map((t) => t.name)).toContain('salesforce_invoice__c');
    expect(catalog.views.map((v) => v.name)).toContain('salesforce_invoice__c_latest');
    expect(kpis.factSourceById.get('custom:salesforce_invoice__c_latest:created_date')).toMatchObject({ partitionPruning: false });
    expect(kpis.kpiById.get('invoices')!.numerator).toBe('invoices_value');
  });
});
