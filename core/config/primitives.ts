import { z } from 'zod';
import { isIsoDate } from '../dates.ts';

/** Small schemas that both pipeline.yaml's schema and the alert settings use (kept apart to avoid an import cycle). */
export const IsoDate = z.string().refine(isIsoDate, { message: 'write a real calendar date as YYYY-MM-DD, e.g. 2026-01-31' });

export const Grain = z.enum(['day', 'week', 'month', 'quarter']);
export type Grain = z.infer<typeof Grain>;

export const Severity = z.enum(['info', 'warning', 'critical']);
export type Severity = z.infer<typeof Severity>;
