import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanFields, createLogger, stackFrames, type LogFields } from './logger.ts';

function capture() {
  const lines: string[] = [];
  const logger = createLogger({ level: 'debug', destination: { write: (l: string) => void lines.push(l) } });
  return { logger, lines: () => lines.map((l) => JSON.parse(l) as Record<string, unknown>) };
}

test('fields outside the allowlist are dropped, whatever the caller passes', () => {
  const { logger, lines } = capture();
  const sneaky = { route: '/health/ready', status: 200, body: { name: 'Quorrin' }, patientName: 'Quorrin', url: '/p?name=Quorrin' } as unknown as LogFields;
  logger.info('http.request', sneaky);
  const [line] = lines();
  assert.equal(line!.route, '/health/ready');
  assert.equal(line!.status, 200);
  assert.ok(!('body' in line!) && !('patientName' in line!) && !('url' in line!));
});

test('an allowlisted string that does not look like a code or pattern is replaced', () => {
  assert.deepEqual(cleanFields({ error_code: 'ECONNREFUSED', route: '/api/v1/patients/:id' }), { error_code: 'ECONNREFUSED', route: '/api/v1/patients/:id' });
  assert.deepEqual(cleanFields({ error_code: 'duplicate key value (mrn)=(12345, "x")' }), { error_code: '[dropped]' });
  assert.deepEqual(cleanFields({ actor_id: 'Smith, John' }), { actor_id: '[dropped]' });
});

test('an event name must be a code, not a sentence', () => {
  const { logger, lines } = capture();
  logger.warn('Patient Quorrin not found');
  assert.equal(lines()[0]!.msg, 'invalid.event-name');
});

test('stack frames keep where an error came from and drop what it said', () => {
  const frames = stackFrames(new Error('lookup failed for Zephyrine'));
  assert.ok(frames && frames.length > 0);
  assert.ok(!frames.includes('Zephyrine'));
});
