import type { FastifyInstance } from 'fastify';
import { createLogger } from '../../src/observability/logger.ts';
import type { JobHandler } from '../../src/runtime/worker.ts';
import { startVigil, type RunningVigil } from '../../src/runtime/start.ts';
import { createTestDatabase, testConfig, type TestDatabase } from './test-db.ts';

/** A Vigil running inside the test process on its own database, with its log lines captured for assertions. */
export interface TestVigil {
  vigil: RunningVigil;
  db: TestDatabase;
  url: string;
  logLines: () => Record<string, unknown>[];
  close(): Promise<void>;
}

export async function startTestVigil(
  options: { overrides?: Record<string, string>; demo?: boolean; extendApp?: (app: FastifyInstance) => void | Promise<void>; jobHandlers?: Map<string, JobHandler> } = {},
): Promise<TestVigil> {
  const db = await createTestDatabase();
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (line: string) => void lines.push(line) } });
  const vigil = await startVigil({
    config: testConfig(db, options.overrides),
    role: 'all',
    demo: options.demo ?? false,
    logger,
    ...(options.extendApp ? { extendApp: options.extendApp } : {}),
    ...(options.jobHandlers ? { jobHandlers: options.jobHandlers } : {}),
  });
  await vigil.ready;
  return {
    vigil,
    db,
    url: vigil.url!.replace('localhost', '127.0.0.1'),
    logLines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>),
    async close() {
      await vigil.stop();
      await db.dispose();
    },
  };
}
