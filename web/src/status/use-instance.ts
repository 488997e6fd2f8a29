import { useEffect, useState } from 'react';
import { fetchJson } from './fetch-json.ts';
import type { InstanceInfo } from './types.ts';

function isInstance(body: unknown): body is InstanceInfo {
  const i = body as Partial<InstanceInfo> | null;
  return typeof i === 'object' && i !== null && typeof i.name === 'string' && typeof i.demo === 'boolean';
}

/**
 * Which instance this is. It cannot change while the page is open, so it is read once; but the server answers 503
 * until its database is ready, so `databaseReadyAt` (the time of the latest ready health report) lets it try again.
 */
export function useInstance(databaseReadyAt: number | undefined): InstanceInfo | undefined {
  const [instance, setInstance] = useState<InstanceInfo>();

  useEffect(() => {
    if (instance !== undefined || databaseReadyAt === undefined) return;
    let cancelled = false;
    fetchJson('/api/v1/instance', 5_000, (status) => status === 200).then(
      (body) => {
        if (!cancelled && isInstance(body)) setInstance(body);
      },
      () => undefined, // The next ready health report retries.
    );
    return () => {
      cancelled = true;
    };
  }, [instance, databaseReadyAt]);

  return instance;
}
