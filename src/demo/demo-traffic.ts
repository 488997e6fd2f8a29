import { sql } from 'kysely';
import { SourceRegistry } from '../gateway/sources.ts';
import { describeError } from '../errors.ts';
import type { Logger } from '../observability/logger.ts';
import { planTraffic, sendTraffic, SIMULATOR_SOURCES } from '../simulator/index.ts';
import type { Store } from '../store/store.ts';
import { DEMO, demoPatientsForTraffic } from './demo-hospital.ts';

/**
 * The demo hospital's feeds: the simulator's three sources are registered (encounters from the ADT feed take place at
 * the north campus), and on the first start the simulator sends a day's messy traffic through Vigil's own MLLP
 * listener, about the demo patients and some new ones, so charts, the operator console and the review queue have
 * something real to show.
 */
const DEMO_TRAFFIC_PATIENTS = 24;

export async function registerDemoSources(store: Store, registry: SourceRegistry): Promise<void> {
  for (const source of SIMULATOR_SOURCES) {
    if (await registry.get(store.db, source.name)) continue;
    const profile = { ...source.profile, facilityId: DEMO.facilities.north };
    await store.tx((trx) => registry.add(trx, { name: source.name, kind: 'hl7v2', msh3: source.msh3, msh4: source.msh4, profile }, { actorName: 'vigil-demo' }));
  }
}

/** Sends the demo traffic once (an instance that already received messages is left alone). Never throws. */
export async function sendDemoTraffic(store: Store, mllpPort: number, logger: Logger, signal: AbortSignal): Promise<void> {
  const log = logger.child({ component: 'demo' });
  try {
    const received = await sql<{ any: boolean }>`SELECT EXISTS (SELECT 1 FROM gateway_messages) AS any`.execute(store.db);
    if (received.rows[0]?.any) return;
    const plan = planTraffic({ patients: DEMO_TRAFFIC_PATIENTS, seed: 'vigil-demo', knownPatients: demoPatientsForTraffic() });
    const result = await sendTraffic(plan, { host: '127.0.0.1', port: mllpPort, signal });
    log.info('demo.traffic.sent', { count: result.sent });
  } catch (err) {
    log.warn('demo.traffic.failed', describeError(err));
  }
}
