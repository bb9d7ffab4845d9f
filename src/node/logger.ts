import pino, { type Logger } from 'pino';
import type { Config } from '../config.ts';

/** Structured JSON logs (pino); readable lines when a person watches a development node in a terminal. */
export function createLogger(config: Config): Logger {
  const pretty = config.env === 'development' && process.stdout.isTTY;
  return pino({
    level: config.logLevel,
    redact: { paths: ['req.headers.authorization', 'req.headers.cookie', 'res.headers["set-cookie"]'], remove: true },
    ...(pretty
      ? { transport: { target: 'pino-pretty', options: { translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } } }
      : {}),
  });
}
