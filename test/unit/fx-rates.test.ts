import { describe, expect, it } from 'vitest';
import { FxRateConfig } from '../../core/config/schema.ts';
import { expandFxRates } from '../../core/models/fx-rates.ts';

describe('fx rates in pipeline.yaml', () => {
  it('expands a range into one rate per month, across a year end', () => {
    // Prepare
    const fx = [FxRateConfig.parse({ currency: 'USD', from: '2025-11', to: '2026-02', rate: 1380 }), FxRateConfig.parse({ currency: 'JPY', month: '2026-01', rate: 9.1 })];
    // Act
    const rows = expandFxRates(fx);
    // Assess
    expect(rows).toEqual([
      { currency: 'USD', month: '2025-11', rate: 1380 }, { currency: 'USD', month: '2025-12', rate: 1380 },
      { currency: 'USD', month: '2026-01', rate: 1380 }, { currency: 'USD', month: '2026-02', rate: 1380 },
      { currency: 'JPY', month: '2026-01', rate: 9.1 },
    ]);
  });

  it.each([
    ['neither month nor range', { currency: 'USD', rate: 1 }, 'give either month: YYYY-MM, or from: YYYY-MM and to: YYYY-MM'],
    ['month and range', { currency: 'USD', rate: 1, month: '2026-01', from: '2026-01', to: '2026-02' }, 'give either month'],
    ['a range without its end', { currency: 'USD', rate: 1, from: '2026-01' }, 'give either month'],
    ['a backwards range', { currency: 'USD', rate: 1, from: '2026-03', to: '2026-01' }, 'from must not be after to'],
    ['a zero rate', { currency: 'USD', rate: 0, month: '2026-01' }, 'write the rate as a positive number'],
    ['a bad month', { currency: 'USD', rate: 1, month: '2026-13' }, 'write a month as YYYY-MM'],
  ])('rejects %s with a message saying what to write', (_name, input, message) => {
    // Prepare / Act
    const result = FxRateConfig.safeParse(input);
    // Assess
    expect(result.success).toBe(false);
    expect(result.error?.issues.map((i) => i.message).join(' | ')).toContain(message);
  });
});
