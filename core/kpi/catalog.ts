import type { KpiDefinition } from './definition.ts';

/**
 * The KPI catalog (../shared/KPI-CATALOG.md is the reference). Ratios are ratios of sums over the
 * period, never an average of daily ratios. Dates are the report date of the source table.
 */
export const kpiCatalog: readonly KpiDefinition[] = [
  {
    id: 'sessions', name: { ko: '세션 수 (웹사이트 트래픽)', en: 'Sessions' },
    definition: { ko: 'Σ 세션', en: 'Σ sessions' }, unit: 'count', direction: 'higher_is_better', category: 'acquisition',
    table: 'ga4_traffic_daily', numerator: 'sessions', segments: ['channel_group'],
  },
  {
    // Summed over the days of a week or month: users who came on several days count once per day.
    id: 'total_users', name: { ko: '사용자 수', en: 'Users' },
    definition: { ko: 'Σ 일별 사용자 수', en: 'Σ daily total users' }, unit: 'count', direction: 'higher_is_better', category: 'acquisition',
    table: 'ga4_traffic_daily', numerator: 'total_users', segments: ['channel_group'],
  },
  {
    id: 'new_users', name: { ko: '신규 사용자 수', en: 'New users' },
    definition: { ko: 'Σ 신규 사용자', en: 'Σ new users' }, unit: 'count', direction: 'higher_is_better', category: 'acquisition',
    table: 'ga4_traffic_daily', numerator: 'new_users', segments: ['channel_group'],
  },
  {
    id: 'engagement_rate', name: { ko: '참여율', en: 'Engagement rate' },
    definition: { ko: 'Σ 참여 세션 / Σ 세션', en: 'Σ engaged sessions / Σ sessions' }, unit: 'ratio', direction: 'higher_is_better', category: 'engagement',
    table: 'ga4_traffic_daily', numerator: 'engaged_sessions', denominator: 'sessions',
    gate: { measure: 'sessions', min: 200 }, segments: ['channel_group'],
  },
  {
    id: 'avg_engagement_time', name: { ko: '평균 사용자 참여 시간', en: 'Average engagement time' },
    definition: { ko: 'Σ 사용자 참여 시간(초) / Σ 사용자 수', en: 'Σ user engagement duration (s) / Σ total users' }, unit: 'duration', direction: 'higher_is_better', category: 'engagement',
    table: 'ga4_traffic_daily', numerator: 'engagement_duration_s', denominator: 'total_users',
    gate: { measure: 'total_users', min: 200 }, segments: ['channel_group'],
  },
  {
    id: 'conversion_rate', name: { ko: '전환율', en: 'Conversion rate' },
    definition: { ko: 'Σ 주요 이벤트(전환) / Σ 세션', en: 'Σ key events / Σ sessions' }, unit: 'ratio', direction: 'higher_is_better', category: 'conversion',
    table: 'ga4_traffic_daily', numerator: 'key_events', denominator: 'sessions',
    gate: { measure: 'sessions', min: 200 }, segments: ['channel_group'],
  },
  {
    id: 'micro_conversion_rate', name: { ko: '고객 참여율 지수 (마이크로 전환율)', en: 'Micro-conversion rate' },
    definition: { ko: 'Σ 마이크로 전환 이벤트(kpis.microConversionEvents) / Σ 세션', en: 'Σ micro-conversion events (kpis.microConversionEvents) / Σ sessions' }, unit: 'ratio', direction: 'higher_is_better',
    category: 'engagement', table: 'ga4_events_daily', numerator: 'micro_conversions', denominator: 'sessions',
    gate: { measure: 'sessions', min: 200 }, segments: [],
  },
  {
    id: 'cart_abandonment_rate', name: { ko: '장바구니 이탈률', en: 'Cart abandonment rate' },
    definition: { ko: '1 − Σ purchase 이벤트 / Σ add_to_cart 이벤트', en: '1 − Σ purchase events / Σ add_to_cart events' }, unit: 'ratio', direction: 'lower_is_better', category: 'conversion',
    table: 'ga4_events_daily', numerator: 'purchases', denominator: 'add_to_carts', scale: -1, offset: 1,
    gate: { measure: 'add_to_carts', min: 50 }, segments: [],
  },
  {
    id: 'revenue_web', name: { ko: '웹 매출', en: 'Web revenue' },
    definition: { ko: 'Σ 구매 매출', en: 'Σ purchase revenue' }, unit: 'currency', direction: 'higher_is_better', category: 'revenue',
    table: 'ga4_traffic_daily', numerator: 'purchase_revenue', segments: ['channel_group'],
  },
  {
    id: 'average_order_value', name: { ko: '평균 구매 금액', en: 'Average purchase value' },
    definition: { ko: 'Σ 구매 매출 / Σ 거래 수', en: 'Σ purchase revenue / Σ transactions' }, unit: 'currency', direction: 'higher_is_better', category: 'revenue',
    table: 'ga4_traffic_daily', numerator: 'purchase_revenue', denominator: 'transactions',
    gate: { measure: 'transactions', min: 20 }, segments: ['channel_group'],
  },
  {
    // Spend is neither good nor bad by itself: its goals are budgets ("at most").
    id: 'spend', name: { ko: '광고비', en: 'Ad spend' },
    definition: { ko: 'Σ 광고비 (보고 통화)', en: 'Σ spend (reporting currency)' }, unit: 'currency', direction: 'neutral', category: 'efficiency',
    table: 'ad_performance_daily', numerator: 'ad_spend', segments: ['platform'],
  },
  {
    id: 'impressions', name: { ko: '노출 수', en: 'Impressions' },
    definition: { ko: 'Σ 노출', en: 'Σ impressions' }, unit: 'count', direction: 'higher_is_better', category: 'acquisition',
    table: 'ad_performance_daily', numerator: 'ad_impressions', segments: ['platform'],
  },
  {
    id: 'clicks', name: { ko: '클릭 수', en: 'Clicks' },
    definition: { ko: 'Σ 클릭', en: 'Σ clicks' }, unit: 'count', direction: 'higher_is_better', category: 'acquisition',
    table: 'ad_performance_daily', numerator: 'ad_clicks', segments: ['platform'],
  },
  {
    id: 'ctr', name: { ko: '클릭률 (CTR)', en: 'Click-through rate' },
    definition: { ko: 'Σ 클릭 / Σ 노출', en: 'Σ clicks / Σ impressions' }, unit: 'ratio', direction: 'higher_is_better', category: 'acquisition',
    table: 'ad_performance_daily', numerator: 'ad_clicks', denominator: 'ad_impressions',
    gate: { measure: 'ad_impressions', min: 1000 }, segments: ['platform'],
  },
  {
    id: 'cpc', name: { ko: '클릭당 비용 (CPC)', en: 'Cost per click' },
    definition: { ko: 'Σ 광고비 / Σ 클릭', en: 'Σ spend / Σ clicks' }, unit: 'currency', direction: 'lower_is_better', category: 'efficiency',
    table: 'ad_performance_daily', numerator: 'ad_spend', denominator: 'ad_clicks',
    gate: { measure: 'ad_clicks', min: 100 }, segments: ['platform'],
  },
  {
    id: 'cpm', name: { ko: '천 회 노출당 비용 (CPM)', en: 'Cost per mille' },
    definition: { ko: '1000 × Σ 광고비 / Σ 노출', en: '1000 × Σ spend / Σ impressions' }, unit: 'currency', direction: 'lower_is_better', category: 'efficiency',
    table: 'ad_performance_daily', numerator: 'ad_spend', denominator: 'ad_impressions', scale: 1000,
    gate: { measure: 'ad_impressions', min: 1000 }, segments: ['platform'],
  },
  {
    id: 'cpa', name: { ko: '전환당 비용 (CPA)', en: 'Cost per acquisition' },
    definition: { ko: 'Σ 광고비 / Σ 전환 (각 플랫폼 보고 기준)', en: 'Σ spend / Σ conversions (as each platform reports them)' }, unit: 'currency', direction: 'lower_is_better', category: 'efficiency',
    table: 'ad_performance_daily', numerator: 'ad_spend', denominator: 'ad_conversions',
    gate: { measure: 'ad_conversions', min: 10 }, segments: ['platform'],
  },
  {
    id: 'roas', name: { ko: '광고 수익률 (ROAS)', en: 'Return on ad spend' },
    definition: { ko: 'Σ 전환 가치 / Σ 광고비', en: 'Σ conversion value / Σ spend' }, unit: 'ratio', direction: 'higher_is_better', category: 'revenue',
    table: 'ad_performance_daily', numerator: 'ad_conversions_value', denominator: 'ad_spend', segments: ['platform'],
  },
  {
    id: 'channel_spend_share', name: { ko: '채널 비용 비중', en: 'Channel spend share' },
    definition: { ko: '채널 Σ 광고비 / 전체 Σ 광고비', en: 'channel Σ spend / total Σ spend' }, unit: 'ratio', direction: 'neutral', category: 'efficiency',
    table: 'ad_performance_daily', numerator: 'ad_spend', shareOfTotal: true, segments: ['platform'],
  },
  {
    id: 'channel_conversion_share', name: { ko: '채널 기여도 점수', en: 'Channel contribution (conversion share)' },
    definition: { ko: '채널 Σ 전환 / 전체 Σ 전환 (각 플랫폼의 라스트 터치)', en: 'channel Σ conversions / total Σ conversions (last touch as each platform reports it)' },
    unit: 'ratio', direction: 'higher_is_better', category: 'conversion',
    table: 'ad_performance_daily', numerator: 'ad_conversions', shareOfTotal: true,
    gate: { measure: 'ad_conversions', min: 10 }, segments: ['platform'],
  },
  {
    id: 'leads', name: { ko: '리드 수', en: 'Leads created' },
    definition: { ko: '생성일 기준 리드 수', en: 'count of leads by CreatedDate' }, unit: 'count', direction: 'higher_is_better', category: 'acquisition',
    table: 'salesforce_lead_latest', numerator: 'leads_created', segments: ['lead_source'],
  },
  {
    // Cohort by the date the lead reached MQL: of this period's MQLs, how many reached SQL (so far).
    id: 'mql_to_sql_rate', name: { ko: 'MQL→SQL 전환율', en: 'MQL → SQL rate' },
    definition: { ko: 'SQL에 도달한 리드 / MQL에 도달한 리드 (MQL 도달일 기준)', en: 'leads reaching SQL / leads reaching MQL (by date reached MQL)' },
    unit: 'ratio', direction: 'higher_is_better', category: 'conversion',
    table: 'salesforce_lead_latest', numerator: 'mqls_reaching_sql', denominator: 'mqls',
    gate: { measure: 'mqls', min: 20 }, segments: ['lead_source'],
  },
  {
    id: 'lead_to_opportunity_rate', name: { ko: '리드→기회 전환율', en: 'Lead → opportunity rate' },
    definition: { ko: '기회로 전환된 리드 / 생성된 리드 (리드 생성일 기준)', en: 'converted leads with an opportunity / leads created (by CreatedDate)' },
    unit: 'ratio', direction: 'higher_is_better', category: 'conversion',
    table: 'salesforce_lead_latest', numerator: 'leads_with_opportunity', denominator: 'leads_created',
    gate: { measure: 'leads_created', min: 20 }, segments: ['lead_source'],
  },
  {
    id: 'pipeline_created', name: { ko: '파이프라인 생성액', en: 'Pipeline created' },
    definition: { ko: '생성일 기준 Σ 기회 금액', en: 'Σ opportunity amount by CreatedDate' }, unit: 'currency', direction: 'higher_is_better', category: 'revenue',
    table: 'salesforce_opportunity_latest', numerator: 'pipeline_amount', segments: [],
  },
  {
    id: 'win_rate', name: { ko: '수주율 (기회 대비 거래 비율)', en: 'Win rate (opportunity-to-deal ratio)' },
    definition: { ko: '성사 / (성사 + 실패), 종료일 기준', en: 'won / (won + lost) by CloseDate' }, unit: 'ratio', direction: 'higher_is_better', category: 'conversion',
    table: 'salesforce_opportunity_latest', numerator: 'won_deals', denominator: 'closed_deals',
    gate: { measure: 'closed_deals', min: 20 }, segments: [],
  },
  {
    id: 'average_deal_size', name: { ko: '평균 거래 규모', en: 'Average deal size' },
    definition: { ko: 'Σ 성사 금액 / 성사 건수, 종료일 기준', en: 'Σ won amount / count won by CloseDate' }, unit: 'currency', direction: 'higher_is_better', category: 'revenue',
    table: 'salesforce_opportunity_latest', numerator: 'won_amount', denominator: 'won_deals',
    gate: { measure: 'won_deals', min: 5 }, segments: [],
  },
  {
    id: 'revenue', name: { ko: '매출', en: 'Revenue (closed won)' },
    definition: { ko: '종료일 기준 Σ 성사 금액', en: 'Σ won amount by CloseDate' }, unit: 'currency', direction: 'higher_is_better', category: 'revenue',
    table: 'salesforce_opportunity_latest', numerator: 'won_amount', segments: [],
  },
  {
    id: 'revenue_growth_mom', name: { ko: '월별 매출 성장률', en: 'Monthly revenue growth' },
    definition: { ko: '매출(월) / 매출(전월) − 1', en: 'revenue(month) / revenue(previous month) − 1' }, unit: 'ratio', direction: 'higher_is_better', category: 'revenue',
    table: 'salesforce_opportunity_latest', numerator: 'won_amount', growthOf: 'revenue', grains: ['month'], segments: [],
  },
  {
    id: 'sales_cycle_days', name: { ko: '영업 주기', en: 'Sales cycle length' },
    definition: { ko: '성사된 기회의 생성일→종료일 평균 일수', en: 'average days from CreatedDate to CloseDate of won opportunities' },
    unit: 'days', direction: 'lower_is_better', category: 'efficiency',
    table: 'salesforce_opportunity_latest', numerator: 'won_cycle_days', denominator: 'won_deals',
    gate: { measure: 'won_deals', min: 5 }, segments: [],
  },
  {
    id: 'cac', name: { ko: '고객 획득 비용 (CAC)', en: 'Customer acquisition cost' },
    definition: { ko: 'Σ 광고비 / 신규 고객 (첫 성사 거래가 기간 내인 계정)', en: 'Σ ad spend / new customers (accounts with their first won opportunity in the period)' },
    unit: 'currency', direction: 'lower_is_better', category: 'efficiency',
    table: 'ad_performance_daily', numerator: 'ad_spend', denominator: 'new_customers',
    gate: { measure: 'new_customers', min: 5 }, segments: [],
  },
  {
    // Attributed revenue: closed-won amount of opportunities with a primary campaign.
    id: 'marketing_roi', name: { ko: '마케팅 ROI', en: 'Marketing ROI' },
    definition: { ko: '(마케팅 기여 매출 − 광고비) / 광고비; 기여 매출 = 캠페인이 연결된 성사 금액', en: '(revenue attributed to marketing − ad spend) / ad spend; attributed = won amount of opportunities with a primary campaign' },
    unit: 'ratio', direction: 'higher_is_better', category: 'revenue',
    table: 'ad_performance_daily', numerator: 'won_amount_marketing', denominator: 'ad_spend', offset: -1, segments: [],
  },
];

export const kpiById: ReadonlyMap<string, KpiDefinition> = new Map(kpiCatalog.map((k) => [k.id, k]));
