import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import { DataDirLockedError, VigilError } from '../errors.ts';
import { addSource, listSources, readProfileFile, setSourceProfile, type AddSourceArgs } from '../gateway/source-commands.ts';
import { SourceRegistry } from '../gateway/sources.ts';
import { sendControl } from '../runtime/control-socket.ts';
import { CommandUsageError, runCommand, withMigratedStore } from './command-support.ts';
import { cliOperator } from './operator.ts';
import type { VigilConfig } from '../config/settings.ts';

/**
 * `vigil sources …`: register the systems that send to the gateway and change their profiles. Each change is audited.
 * On the embedded database while Vigil is running, the command is carried out by the running process (through its
 * control socket in the data folder), since only one process may open that database.
 */
export const SOURCES_USAGE = `  vigil sources add --name NAME --msh3 APP --msh4 FACILITY [--profile FILE] [--peer ADDRESS]...
      Register an HL7 v2 source, recognised by MSH-3 (sending application) and MSH-4 (sending facility) and, when
      --peer is given, by the connection's address. Messages from unregistered senders are refused (AR) and kept.
  vigil sources add --name NAME --kind fhir --client-id CLIENT [--profile FILE]
      Register a FHIR source that posts as the given system client.
  vigil sources profile --name NAME --profile FILE
      Replace a source's profile (a new version; replay older messages to apply it).
  vigil sources list
      Print every source with its profile version.`;

async function carryOut(config: VigilConfig, command: string, args: Record<string, unknown>, direct: (registry: SourceRegistry, store: Parameters<Parameters<typeof withMigratedStore>[1]>[0]) => Promise<unknown>): Promise<unknown> {
  try {
    return await withMigratedStore(config, (store) => direct(new SourceRegistry(), store));
  } catch (err) {
    if (!(err instanceof DataDirLockedError) || config.databaseUrl) throw err;
    const answer = await sendControl(config.dataDir, { command, args }).catch(() => {
      throw err;
    });
    if (!answer.ok) throw new VigilError(answer.code, answer.status, answer.message);
    return answer.result;
  }
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      name: { type: 'string' },
      kind: { type: 'string', default: 'hl7v2' },
      msh3: { type: 'string' },
      msh4: { type: 'string' },
      peer: { type: 'string', multiple: true },
      'client-id': { type: 'string' },
      profile: { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [sub] = positionals;
  if (values.help || !sub) {
    console.log(`Usage:\n${SOURCES_USAGE}`);
    return 0;
  }
  const config = loadConfig({ file: values.config });
  if (sub === 'list') {
    const sources = await carryOut(config, 'sources.list', {}, (registry, store) => listSources(store, registry));
    console.log(JSON.stringify(sources, null, 2));
    return 0;
  }
  if (!values.name) throw new CommandUsageError('--name is required.');
  const profile = values.profile ? readProfileFile(values.profile) : undefined;
  if (sub === 'add') {
    if (values.kind !== 'hl7v2' && values.kind !== 'fhir' && values.kind !== 'file') throw new CommandUsageError('--kind must be hl7v2, fhir or file.');
    if (values.kind === 'hl7v2' && (!values.msh3 || !values.msh4)) throw new CommandUsageError('an HL7 v2 source needs --msh3 and --msh4.');
    const args: AddSourceArgs = {
      name: values.name,
      kind: values.kind,
      ...(values.msh3 ? { msh3: values.msh3 } : {}),
      ...(values.msh4 ? { msh4: values.msh4 } : {}),
      ...(values.peer ? { peers: values.peer } : {}),
      ...(values['client-id'] ? { clientId: values['client-id'] } : {}),
      ...(profile !== undefined ? { profile } : {}),
      actorName: cliOperator(),
    };
    const source = await carryOut(config, 'sources.add', { ...args }, (registry, store) => addSource(store, registry, args));
    console.log(JSON.stringify(source, null, 2));
    return 0;
  }
  if (sub === 'profile') {
    if (profile === undefined) throw new CommandUsageError('--profile FILE is required.');
    const args = { source: values.name, profile, actorName: cliOperator() };
    console.log(JSON.stringify(await carryOut(config, 'sources.profile', args, (registry, store) => setSourceProfile(store, registry, args)), null, 2));
    return 0;
  }
  throw new CommandUsageError(`unknown sources command "${sub.slice(0, 20)}".`);
}

export function sourcesCommand(argv: string[]): Promise<number> {
  return runCommand('sources', SOURCES_USAGE, () => run(argv));
}
