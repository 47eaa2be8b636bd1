/**
 * A small structured logger. The CLI prints human progress lines on stderr; Lambda handlers
 * will use Powertools. Never pass a secret in `fields`.
 */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

const order: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Human-readable lines, e.g. `  [web/ga4_traffic_daily] wrote 3 partitions (1,204 rows)`. */
export function createConsoleLogger(options: { level?: LogLevel; write?: (line: string) => void; fields?: Record<string, unknown> } = {}): Logger {
  const level = options.level ?? (process.env.KPI_LOG_LEVEL as LogLevel | undefined) ?? 'info';
  const write = options.write ?? ((line: string) => process.stderr.write(line + '\n'));
  const bound = options.fields ?? {};
  const prefix = [bound.source, bound.stream].filter(Boolean).join('/');
  const emit = (at: LogLevel, message: string, fields?: Record<string, unknown>) => {
    if (order[at] < order[level]) return;
    const tag = at === 'info' ? '' : `${at.toUpperCase()} `;
    const extra = fields && Object.keys(fields).length > 0 ? ' ' + JSON.stringify(fields) : '';
    write(`${tag}${prefix ? `[${prefix}] ` : ''}${message}${extra}`);
  };
  return {
    debug: (m, f) => emit('debug', m, f),
    info: (m, f) => emit('info', m, f),
    warn: (m, f) => emit('warn', m, f),
    error: (m, f) => emit('error', m, f),
    child: (fields) => createConsoleLogger({ level, write, fields: { ...bound, ...fields } }),
  };
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child() {
    return silentLogger;
  },
};
