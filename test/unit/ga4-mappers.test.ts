import { describe, expect, it } from 'vitest';
import { toEventRow, toInteger, toIsoDate, toNumber, toTrafficRow, type ReportContext } from '../../connectors/ga4/mappers.ts';
import { headersOf, RunReportResponse, toReportRecord, type ReportRecord } from '../../connectors/ga4/report.ts';
import { RecordError } from '../../core/errors.ts';
import { mapRecords } from '../../core/sync/rejects.ts';

const toReportRecords = (response: RunReportResponse) => [...response.rows].map((raw) => toReportRecord(raw, headersOf(response)));

const syncedAt = new Date('2026-11-23T01:02:03.000Z');
const context: ReportContext = {
  sourceId: 'web',
  propertyId: '123456789',
  currency: 'KRW',
  timeZone: 'Asia/Seoul',
  syncedAt,
};

describe('toIsoDate', () => {
  it('turns GA4 YYYYMMDD into YYYY-MM-DD', () => {
    // Prepare
    const ga4Date = '20261122';
    // Act
    const iso = toIsoDate(ga4Date);
    // Assess
    expect(iso).toBe('2026-11-22');
  });

  it.each([
    ['an ISO date', '2026-11-22', '"2026-11-22"'],
    ['an empty string', '', '""'],
    ['undefined', undefined, 'undefined'],
    ['eight digits that are no date', '20261399', '"20261399"'],
  ])('throws a RecordError on %s', (_name, value, shown) => {
    // Prepare: the value above
    // Act
    const act = () => toIsoDate(value);
    // Assess
    expect(act).toThrow(RecordError);
    expect(act).toThrow(`GA4 date is not a YYYYMMDD calendar date: ${shown}`);
  });
});

describe('toNumber and toInteger', () => {
  it('parse GA4 metric strings', () => {
    // Prepare
    const values = ['1234', '12.75', '0', '1e3'];
    // Act
    const numbers = values.map((value) => toNumber(value));
    const integers = values.map((value) => toInteger(value));
    // Assess
    expect(numbers).toEqual([1234, 12.75, 0, 1000]);
    expect(integers).toEqual([1234, 13, 0, 1000]);
  });

  it('count an empty or missing metric as zero', () => {
    // Prepare: '' and undefined
    // Act
    const results = [toNumber(''), toNumber(undefined), toInteger(''), toInteger(undefined)];
    // Assess
    expect(results).toEqual([0, 0, 0, 0]);
  });

  it("throw a RecordError naming the metric on a value that is not a number ('abc')", () => {
    // Prepare
    const value = 'abc';
    // Act
    const asNumber = () => toNumber(value, 'sessions');
    const asInteger = () => toInteger(value);
    // Assess
    expect(asNumber).toThrow(RecordError);
    expect(asNumber).toThrow('GA4 sessions is not a number: "abc"');
    expect(asInteger).toThrow('GA4 metric is not a number: "abc"');
  });
});

describe('toTrafficRow', () => {
  it('maps a report record to the exact ga4_traffic_daily row, with (not set) for empty dimensions', () => {
    // Prepare: campaign is empty and medium is absent, as GA4 sends them
    const record: ReportRecord = {
      date: '20261122',
      sessionDefaultChannelGroup: 'Organic Search',
      sessionSource: 'google',
      sessionMedium: undefined,
      sessionCampaignName: '',
      sessions: '1520',
      engagedSessions: '987',
      totalUsers: '1301',
      newUsers: '845',
      userEngagementDuration: '81234.5',
      keyEvents: '41.5',
      purchaseRevenue: '3456000.25',
      transactions: '37',
    };
    // Act
    const row = toTrafficRow(record, context);
    // Assess
    expect(row).toStrictEqual({
      date: '2026-11-22',
      property_id: '123456789',
      channel_group: 'Organic Search',
      source: 'google',
      medium: '(not set)',
      campaign: '(not set)',
      sessions: 1520,
      engaged_sessions: 987,
      total_users: 1301,
      new_users: 845,
      user_engagement_duration_s: 81234.5,
      key_events: 41.5,
      purchase_revenue: 3456000.25,
      transactions: 37,
      currency: 'KRW',
      time_zone: 'Asia/Seoul',
      source_id: 'web',
      synced_at: syncedAt,
    });
  });

  it('records null currency and time zone when the report metadata has none', () => {
    // Prepare
    const record: ReportRecord = { date: '20260101', sessionDefaultChannelGroup: 'Direct', sessions: '3' };
    // Act
    const row = toTrafficRow(record, { ...context, currency: null, timeZone: null });
    // Assess
    expect(row.currency).toBeNull();
    expect(row.time_zone).toBeNull();
    expect(row.sessions).toBe(3);
    expect(row.transactions).toBe(0);
    expect(row.source).toBe('(not set)');
  });
});

describe('toEventRow', () => {
  it('maps a report record to the exact ga4_events_daily row', () => {
    // Prepare
    const record: ReportRecord = { date: '20261121', eventName: 'add_to_cart', eventCount: '412', totalUsers: '233' };
    // Act
    const row = toEventRow(record, context);
    // Assess
    expect(row).toStrictEqual({
      date: '2026-11-21',
      property_id: '123456789',
      event_name: 'add_to_cart',
      event_count: 412,
      total_users: 233,
      time_zone: 'Asia/Seoul',
      source_id: 'web',
      synced_at: syncedAt,
    });
  });

  it('writes (not set) for an empty event name', () => {
    // Prepare
    const record: ReportRecord = { date: '20261121', eventName: '', eventCount: '5', totalUsers: '2' };
    // Act
    const row = toEventRow(record, context);
    // Assess
    expect(row.event_name).toBe('(not set)');
  });
});

describe('toReportRecords', () => {
  it('keys each row of a GA4 runReport response by its header names', () => {
    // Prepare: a response as GA4 sends it (JSON), parsed at the boundary
    const response = RunReportResponse.parse({
      dimensionHeaders: [{ name: 'date' }, { name: 'eventName' }],
      metricHeaders: [{ name: 'eventCount', type: 'TYPE_INTEGER' }, { name: 'totalUsers', type: 'TYPE_INTEGER' }],
      rows: [
        { dimensionValues: [{ value: '20261121' }, { value: 'purchase' }], metricValues: [{ value: '37' }, { value: '35' }] },
        { dimensionValues: [{ value: '20261122' }, { value: 'sign_up' }], metricValues: [{ value: '12' }, {}] },
      ],
      rowCount: 2,
      metadata: { currencyCode: 'KRW', timeZone: 'Asia/Seoul' },
      kind: 'analyticsData#runReport',
    });
    // Act
    const records = toReportRecords(response);
    // Assess
    expect(records).toStrictEqual([
      { date: '20261121', eventName: 'purchase', eventCount: '37', totalUsers: '35' },
      { date: '20261122', eventName: 'sign_up', eventCount: '12', totalUsers: undefined },
    ]);
  });

  it('feeds the mappers: records from a response become rows', () => {
    // Prepare
    const response = RunReportResponse.parse({
      dimensionHeaders: [{ name: 'date' }, { name: 'eventName' }],
      metricHeaders: [{ name: 'eventCount' }, { name: 'totalUsers' }],
      rows: [{ dimensionValues: [{ value: '20261122' }, { value: 'sign_up' }], metricValues: [{ value: '12' }, { value: '11' }] }],
    });
    // Act
    const rows = toReportRecords(response).map((record) => toEventRow(record, context));
    // Assess
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ date: '2026-11-22', event_name: 'sign_up', event_count: 12, total_users: 11 });
  });

  it('gives [] for a response without rows (GA4 omits `rows` when nothing matches)', () => {
    // Prepare
    const empty = RunReportResponse.parse({});
    const headersOnly = RunReportResponse.parse({ dimensionHeaders: [{ name: 'date' }], metricHeaders: [{ name: 'sessions' }], rowCount: 0 });
    // Act
    const fromEmpty = toReportRecords(empty);
    const fromHeadersOnly = toReportRecords(headersOnly);
    // Assess
    expect(empty.rows).toEqual([]);
    expect(fromEmpty).toEqual([]);
    expect(fromHeadersOnly).toEqual([]);
  });
});

describe('odd values in a runReport page', () => {
  it('coerces what the contract allows and sets aside, with the reason and the raw row, what it does not', () => {
    // Prepare: one good row and rows with the oddities APIs send
    const response = RunReportResponse.parse({
      dimensionHeaders: [{ name: 'date' }, { name: 'eventName' }],
      metricHeaders: [{ name: 'eventCount' }, { name: 'totalUsers' }],
      rows: [
        { dimensionValues: [{ value: '20261122' }, { value: 'purchase' }], metricValues: [{ value: '12' }, { value: '11' }] },
        { dimensionValues: [{ value: '20261122' }, { value: '구매_완료 🎉' }], metricValues: [{ value: 7 }, { value: null }], extra: 'new field' },
        { dimensionValues: [{ value: '20261122' }, { value: 'x'.repeat(100_000) }] },
        { dimensionValues: [{ value: '2026/11/22' }, { value: 'sign_up' }], metricValues: [{ value: '3' }, { value: '3' }] },
        { dimensionValues: [{ value: '20261122' }, { value: 'sign_up' }], metricValues: [{ value: 'n/a' }, { value: '3' }] },
        { dimensionValues: [{ value: '20261122' }, { value: { nested: true } }], metricValues: [] },
        'not a row',
      ],
    });
    const headers = headersOf(response);
    // Act
    const { rows, rejected } = mapRecords(response.rows, (raw) => toEventRow(toReportRecord(raw, headers), context));
    // Assess
    expect(rows.map((r) => [r.event_name, r.event_count, r.total_users])).toEqual([
      ['purchase', 12, 11], ['구매_완료 🎉', 7, 0], ['x'.repeat(100_000), 0, 0],
    ]);
    expect(rejected.map((r) => [r.field, r.reason])).toEqual([
      ['date', 'GA4 date is not a YYYYMMDD calendar date: "2026/11/22"'],
      ['eventCount', 'GA4 eventCount is not a number: "n/a"'],
      ['eventName', 'GA4 eventName is not a string: {"nested":true}'],
      [undefined, 'GA4 row is not an object: "not a row"'],
    ]);
    expect(rejected[0]!.raw).toEqual({ dimensionValues: [{ value: '2026/11/22' }, { value: 'sign_up' }], metricValues: [{ value: '3' }, { value: '3' }] });
  });

  it('stops on an error that is not about the record (a bug is not bad data)', () => {
    // Prepare
    const boom = () => {
      throw new TypeError('mapper bug');
    };
    // Act
    const act = () => mapRecords([{}], boom);
    // Assess
    expect(act).toThrow('mapper bug');
  });
});
