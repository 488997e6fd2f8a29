import { ServiceUnavailableError } from '../errors.ts';
import type { Store } from '../store/store.ts';
import type { AppDeps } from './app.ts';

/** The store, or a 503 that tells the caller to come back: the database may still be starting. */
export function requireStore(deps: Pick<AppDeps, 'store'>): Store {
  const store = deps.store();
  if (!store) throw new ServiceUnavailableError('The database is not ready yet; try again shortly (see /health/ready).');
  return store;
}
