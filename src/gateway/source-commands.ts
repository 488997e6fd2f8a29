import { readFileSync } from 'node:fs';
import type { Store } from '../store/store.ts';
import { VigilError } from '../errors.ts';
import { SourceRegistry, UnknownSourceError, type GatewaySource, type NewSource, type SourceActor } from './sources.ts';

/**
 * What `vigil sources …` does, as functions of a store, so the same code runs in the CLI process (PostgreSQL, or a
 * stopped embedded instance) and inside a running embedded Vigil through its control socket.
 */
export interface AddSourceArgs {
  name: string;
  kind?: NewSource['kind'];
  msh3?: string;
  msh4?: string;
  peers?: string[];
  clientId?: string;
  profile?: unknown;
  actorName: string | null;
}

export async function addSource(store: Store, registry: SourceRegistry, args: AddSourceArgs): Promise<GatewaySource> {
  const actor: SourceActor = { actorName: args.actorName };
  return store.tx((trx) =>
    registry.add(
      trx,
      {
        name: args.name,
        kind: args.kind ?? 'hl7v2',
        ...(args.msh3 ? { msh3: args.msh3 } : {}),
        ...(args.msh4 ? { msh4: args.msh4 } : {}),
        ...(args.peers?.length ? { peerAllowlist: args.peers } : {}),
        ...(args.clientId ? { clientId: args.clientId } : {}),
        ...(args.profile !== undefined ? { profile: args.profile } : {}),
      },
      actor,
    ),
  );
}

export async function listSources(store: Store, registry: SourceRegistry): Promise<GatewaySource[]> {
  return registry.list(store.db);
}

export async function setSourceProfile(store: Store, registry: SourceRegistry, args: { source: string; profile: unknown; actorName: string | null }): Promise<{ source: string; version: number }> {
  return store.tx(async (trx) => {
    const source = await registry.get(trx, args.source);
    if (!source) throw new UnknownSourceError();
    return { source: source.name, version: await registry.updateProfile(trx, source.id, args.profile, { actorName: args.actorName }) };
  });
}

/** Reads a profile file given on the command line; the error names the file, never its content. */
export function readProfileFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new VigilError('profile-unreadable', 400, `Cannot read the profile file ${file}.`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new VigilError('profile-not-json', 400, `The profile file ${file} is not JSON.`);
  }
}
