import type { Grain, Locale } from '../config/schema.ts';
import { formatGap } from '../email/format.ts';
import type { GoalEvaluation } from '../goals/evaluation.ts';
import type { KpiDefinition } from '../kpi/definition.ts';
import type { NotificationReason } from './notification.ts';
import type { AnomalyObservation, ChangeObservation, GoalDirection, ThresholdObservation } from './rules.ts';

/**
 * The one line an alert email shows under the KPI name, in Korean and English: what happened in
 * the words of a weekly KPI review ("최근 3주 중 2주 목표 미달", "−42% vs the usual for this weekday").
 */
export interface Summary {
  readonly ko: string;
  readonly en: string;
}

const MINUS = '\u2212';

const unitKo: Record<Grain, string> = { day: '일', week: '주', month: '개월', quarter: '분기' };
const unitEn: Record<Grain, [string, string]> = { day: ['day', 'days'], week: ['week', 'weeks'], month: ['month', 'months'], quarter: ['quarter', 'quarters'] };
const lastKo: Record<Grain, string> = { day: '전일', week: '지난주', month: '지난달', quarter: '지난 분기' };
const lastEn: Record<Grain, string> = { day: 'on the last day', week: 'last week', month: 'last month', quarter: 'last quarter' };
const versusKo: Record<Grain, string> = { day: '전일', week: '전주', month: '전월', quarter: '전 분기' };

/** A relative change, whole percent from 10% up: "−42%", "+4.5%". */
export function signedPercent(ratio: number): string {
  const percent = ratio * 100;
  const digits = Math.abs(percent) >= 10 ? 0 : 1;
  const text = Math.abs(percent).toFixed(digits).replace(/\.0$/, '');
  if (text === '0') return '0%';
  return `${percent < 0 ? MINUS : '+'}${text}%`;
}

export function signedNumber(value: number, digits: number): string {
  const text = Math.abs(value).toFixed(digits);
  return `${value < 0 && Number(text) !== 0 ? MINUS : ''}${text}`;
}

export function thresholdSummary(reason: NotificationReason, observation: ThresholdObservation, grain: Grain, direction: GoalDirection): Summary {
  if (reason === 'resolved') return { ko: '목표 수준 회복', en: 'back on target' };
  const wordKo = direction === 'at_least' ? '목표 미달' : '목표 초과';
  const wordEn = direction === 'at_least' ? 'below goal' : 'above goal';
  const { breachingPeriods: count, n } = observation;
  if (n === 1) return { ko: `${lastKo[grain]} ${wordKo}`, en: `${wordEn} ${lastEn[grain]}` };
  return {
    ko: `최근 ${n}${unitKo[grain]} 중 ${count}${unitKo[grain]} ${wordKo}`,
    en: `${wordEn} in ${count} of the last ${n} ${unitEn[grain][1]}`,
  };
}

export function changeSummary(reason: NotificationReason, observation: ChangeObservation, grain: Grain, kpi: KpiDefinition, currency: string): Summary {
  const [one] = unitEn[grain];
  if (reason === 'resolved' || observation.change === null) {
    return { ko: `${versusKo[grain]} 대비 큰 변동 없음`, en: `no large change vs the previous ${one}` };
  }
  const absolute = (locale: Locale) => formatGap(observation.change, null, kpi.unit, locale, currency);
  const relative = observation.relativeChange;
  if (relative === null || !Number.isFinite(relative)) {
    return { ko: `${versusKo[grain]} 대비 ${absolute('ko')}`, en: `${absolute('en')} vs the previous ${one}` };
  }
  return {
    ko: `${versusKo[grain]} 대비 ${signedPercent(relative)} (${absolute('ko')})`,
    en: `${signedPercent(relative)} vs the previous ${one} (${absolute('en')})`,
  };
}

export function anomalySummary(reason: NotificationReason, observation: AnomalyObservation): Summary {
  if (reason === 'resolved' || observation.z === null || observation.baseline === null || observation.latest?.value == null) {
    return { ko: '평소 같은 요일 수준으로 돌아옴', en: 'back to the usual for this weekday' };
  }
  const relative = observation.baseline === 0 ? null : observation.latest.value / observation.baseline - 1;
  const z = `z = ${signedNumber(observation.z, 1)}`;
  if (relative === null) return { ko: `평소 같은 요일과 다름 (${z})`, en: `unusual for this weekday (${z})` };
  return {
    ko: `평소 같은 요일 대비 ${signedPercent(relative)} (${z})`,
    en: `${signedPercent(relative)} vs the usual for this weekday (${z})`,
  };
}

/** Time-bound goals: pace for totals, the value so far for rates; the goal maths has already judged them. */
export function pacingSummary(reason: NotificationReason, evaluation: GoalEvaluation): Summary {
  if (reason === 'resolved') {
    return evaluation.status === 'achieved' ? { ko: '목표 달성', en: 'goal achieved' } : { ko: '목표 달성 궤도로 복귀', en: 'back on track' };
  }
  if (evaluation.status === 'missed') return { ko: '마감일까지 목표 미달성', en: 'missed by the deadline' };
  if (evaluation.pace) {
    const percent = Math.round(evaluation.pace.ratio * 100);
    return { ko: `목표 진도 ${percent}% (지금까지 필요한 양 대비)`, en: `at ${percent}% of the pace the goal needs so far` };
  }
  return { ko: '기간 누계 목표 미달', en: 'behind the goal so far this period' };
}

export function freshnessSummary(reason: NotificationReason, table: string, kpiIds: readonly string[]): Summary {
  if (reason === 'resolved') return { ko: `${table} 데이터가 다시 최신입니다`, en: `${table} is up to date again` };
  return {
    ko: `${table} 데이터가 늦어 KPI ${kpiIds.length}개의 알림을 보류했습니다 (${kpiIds.join(', ')})`,
    en: `${table} is late; alerts on ${kpiIds.length} KPI${kpiIds.length === 1 ? '' : 's'} are on hold (${kpiIds.join(', ')})`,
  };
}
