/** Structured logs: one JSON object per line on stderr. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, message: string, fields?: Record<string, unknown>): void;
}

export function jsonLogger(service: string, options: { level?: LogLevel; write?: (line: string) => void } = {}): Logger {
  const order: LogLevel[] = ['debug', 'info', 'warn', 'error'];
  const min = order.indexOf(options.level ?? 'info');
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  return {
    log(level, message, fields = {}) {
      if (order.indexOf(level) < min) return;
      write(JSON.stringify({ time: new Date().toISOString(), level, service, message, ...fields }));
    },
  };
}
