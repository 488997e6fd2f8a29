import pino, { type DestinationStream, type Logger as PinoLogger } from 'pino';
import type { LogLevel } from '../config/settings.ts';

/**
 * The PHI-safe logger. It takes an event name and a record of allowlisted fields only: anything else is dropped
 * before it reaches pino, so a whole object, a request body, a raw message or an error's free text can never be
 * logged by accident. Strings are bounded and limited to a safe alphabet so that a field cannot smuggle data.
 */
export interface LogFields {
  method?: string;
  route?: string;
  status?: number;
  duration_ms?: number;
  request_id?: string;
  actor_id?: string;
  error_code?: string;
  err_name?: string;
  err_frames?: string;
  component?: string;
  role?: string;
  engine?: string;
  version?: number;
  count?: number;
  port?: number;
  attempt?: number;
  delay_ms?: number;
  worker_id?: string;
  job_id?: string;
  queue?: string;
  setting?: string;
  pid?: number;
  message_id?: string;
  source_id?: string;
  state?: string;
}

const ALLOWED: ReadonlySet<string> = new Set<keyof LogFields>([
  'method', 'route', 'status', 'duration_ms', 'request_id', 'actor_id', 'error_code', 'err_name', 'err_frames', 'component',
  'role', 'engine', 'version', 'count', 'port', 'attempt', 'delay_ms', 'worker_id', 'job_id', 'queue', 'setting', 'pid',
  'message_id', 'source_id', 'state',
]);

// Route patterns, ids, codes and stack frames fit in this alphabet; names, dates with spaces and phone numbers with
// spaces do not get through whole. Frames are allowed "/" ":" "(" ")" for file positions.
const SAFE_STRING = /^[A-Za-z0-9_.:/*\-()<> @|]{0,400}$/;
const EVENT_NAME = /^[a-z][a-z0-9_.-]{1,60}$/;

export function cleanFields(fields: LogFields | undefined): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  if (!fields) return out;
  for (const [key, value] of Object.entries(fields)) {
    if (!ALLOWED.has(key)) continue;
    if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
    else if (typeof value === 'string') out[key] = SAFE_STRING.test(value) ? value : '[dropped]';
  }
  return out;
}

export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
  fatal(event: string, fields?: LogFields): void;
  child(fields: Pick<LogFields, 'component' | 'role' | 'worker_id'>): Logger;
  flush(): Promise<void>;
}

class SafeLogger implements Logger {
  constructor(private readonly pino: PinoLogger) {}
  private write(level: 'debug' | 'info' | 'warn' | 'error' | 'fatal', event: string, fields?: LogFields): void {
    if (!this.pino.isLevelEnabled(level)) return;
    const name = EVENT_NAME.test(event) ? event : 'invalid.event-name';
    this.pino[level](cleanFields(fields), name);
  }
  debug(event: string, fields?: LogFields) { this.write('debug', event, fields); }
  info(event: string, fields?: LogFields) { this.write('info', event, fields); }
  warn(event: string, fields?: LogFields) { this.write('warn', event, fields); }
  error(event: string, fields?: LogFields) { this.write('error', event, fields); }
  fatal(event: string, fields?: LogFields) { this.write('fatal', event, fields); }
  child(fields: Pick<LogFields, 'component' | 'role' | 'worker_id'>): Logger {
    return new SafeLogger(this.pino.child(cleanFields(fields)));
  }
  flush(): Promise<void> {
    return new Promise((done) => this.pino.flush(() => done()));
  }
}

export interface LoggerOptions {
  level: LogLevel;
  file?: string | undefined;
  /** Where lines go instead of stdout (tests capture them here). */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  const streams: pino.StreamEntry[] = [{ level: 'trace', stream: options.destination ?? pino.destination({ dest: 1, sync: true }) }];
  if (options.file) streams.push({ level: 'trace', stream: pino.destination({ dest: options.file, mkdir: true, sync: true }) });
  const instance = pino(
    {
      level: options.level,
      base: { pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    pino.multistream(streams),
  );
  return new SafeLogger(instance);
}

/** Stack frames without the message line: where an error came from, never what it said. */
export function stackFrames(err: unknown, max = 6): string | undefined {
  if (!(err instanceof Error) || !err.stack) return undefined;
  return err.stack
    .split('\n')
    .filter((line) => line.trimStart().startsWith('at '))
    .slice(0, max)
    .map((line) => line.trim().replace(/^at /, '').replace(/file:\/\/\S*?\/(src|node_modules)\//, '$1/'))
    .filter((line) => SAFE_STRING.test(line))
    .join(' | ');
}
