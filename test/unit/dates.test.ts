import { describe, expect, it } from 'vitest';
import { isIsoDate } from '../../core/dates.ts';

describe('isIsoDate', () => {
  it.each(['2026-11-23', '2024-02-29', '2000-02-29', '1999-12-31', '2026-04-30'])('accepts the calendar date %s', (text) => {
    // Prepare: the date above
    // Act
    const valid = isIsoDate(text);
    // Assess
    expect(valid).toBe(true);
  });

  it.each(['2026-02-29', '1900-02-29', '2026-04-31', '2026-13-01', '2026-00-10', '2026-01-00', '20261123', '2026/11/23', '2026-1-23', ' 2026-11-23', '2026-11-2x', ''])(
    'refuses %j', (text) => {
      // Prepare: the text above
      // Act
      const valid = isIsoDate(text);
      // Assess
      expect(valid).toBe(false);
    },
  );
});
