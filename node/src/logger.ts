import { pino, type Logger } from 'pino'

export type { Logger }

/**
 * JSON logs for machines; readable lines when a person watches a terminal
 * (or SWF_LOG_FORMAT=pretty). SWF_LOG_FORMAT=json forces JSON.
 */
export function createLogger(level: string, env: NodeJS.ProcessEnv = process.env): Logger {
  const format = env.SWF_LOG_FORMAT ?? (process.stdout.isTTY ? 'pretty' : 'json')
  if (format === 'pretty') {
    return pino({
      level,
      transport: { target: 'pino-pretty', options: { colorize: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname' } }
    })
  }
  return pino({ level })
}
