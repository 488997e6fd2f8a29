import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import {
  createSystemClient,
  generateClientKeyPair,
  listSystemClients,
  parseScopes,
  revokeSystemClient,
  rotateClientKey,
} from '../controls/access/auth/system-clients.ts';
import { recordAudit, SYSTEM_FACTS } from '../controls/audit/audit-event.ts';
import { CommandUsageError, runCommand, withMigratedStore } from './command-support.ts';
import { cliOperator } from './operator.ts';
import type { Tx } from '../store/store.ts';

/**
 * `vigil clients …`: register, rotate, revoke and list the system clients (EHRs, labs, vendors) that get tokens from
 * /oauth2/token. Vigil keeps only public keys. When it makes a key pair for a client, the private key goes to a file
 * that only its owner can read (mode 0600), and its path is printed, never the key. Every change is audited.
 * Exit codes: 0 done, 1 refused or failed (one line says why), 2 a usage error.
 */
export const CLIENTS_USAGE = `  vigil clients create --id ID --name NAME --scope "system/Patient.read system/Observation.write"
                       [--public-key JWK_FILE | --out PRIVATE_JWK_FILE] [--expires-days 365]
      Register a system client. Without --public-key an ES384 key pair is made: the public key is registered and the
      private key written to --out (mode 0600) for you to hand to the client.
  vigil clients rotate --id ID [--public-key JWK_FILE | --out PRIVATE_JWK_FILE] [--overlap-days 7] [--expires-days 365]
      Add a new key; the client's older keys stop working after the overlap.
  vigil clients revoke --id ID
      Stop a client at once: no new tokens, and its outstanding tokens fail on their next request.
  vigil clients list
      Print every client with its scopes and keys (ids, dates, state; no key material).`;


const DAY_MS = 86_400_000;

function days(value: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) throw new CommandUsageError(`${name} must be a whole number of days from ${min} to ${max}.`);
  return Number(value);
}

function readJwk(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new CommandUsageError(`cannot read the public key file ${file}.`);
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new CommandUsageError(`${file} is not JSON: give a public key as a JWK file.`);
  }
}

/**
 * The key to register: the caller's public JWK, or a fresh pair whose private half is written to `out` only after the
 * database accepted the public half (and the file is claimed first, so an existing file is never overwritten).
 */
async function keyMaterial(publicKeyFile: string | undefined, out: string | undefined): Promise<{ publicJwk: unknown; commit: () => string | undefined; abandon: () => void }> {
  if (publicKeyFile && out) throw new CommandUsageError('give either --public-key (the client made its own key pair) or --out (Vigil makes one), not both.');
  if (publicKeyFile) return { publicJwk: readJwk(publicKeyFile), commit: () => undefined, abandon: () => undefined };
  if (!out) throw new CommandUsageError('give --public-key JWK_FILE, or --out FILE to have Vigil make a key pair and write the private key there.');
  const path = resolve(out);
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new CommandUsageError(code === 'EEXIST' ? `${path} exists already: choose a new file for the private key.` : `cannot create ${path} (${code ?? 'error'}).`);
  }
  const pair = await generateClientKeyPair();
  return {
    publicJwk: pair.publicJwk,
    commit: () => {
      writeSync(fd, JSON.stringify(pair.privateJwk, null, 2) + '\n');
      closeSync(fd);
      return path;
    },
    abandon: () => {
      closeSync(fd);
      unlinkSync(path);
    },
  };
}


function audit(trx: Tx, action: string, actionCode: 'C' | 'U', clientId: string, details: Record<string, unknown>): Promise<string> {
  return recordAudit(trx, null, SYSTEM_FACTS, {
    action, actionCode, resourceType: 'SystemClient', resourceIds: [clientId], outcome: 'success', details,
    actor: { actorType: 'system', actorId: 'vigil-cli', actorName: cliOperator() },
  });
}

function required(value: string | undefined, name: string): string {
  if (!value) throw new CommandUsageError(`${name} is required.`);
  return value;
}

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      id: { type: 'string' },
      name: { type: 'string' },
      scope: { type: 'string' },
      'public-key': { type: 'string' },
      out: { type: 'string' },
      'expires-days': { type: 'string' },
      'overlap-days': { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [sub] = positionals;
  if (values.help || !sub) {
    console.log(`Usage:\n${CLIENTS_USAGE}`);
    return 0;
  }
  if (!['create', 'rotate', 'revoke', 'list'].includes(sub)) throw new CommandUsageError(`unknown clients command "${sub.slice(0, 20)}".`);
  const config = loadConfig({ file: values.config });

  if (sub === 'list') {
    const clients = await withMigratedStore(config, (store) => listSystemClients(store.db));
    console.log(JSON.stringify(clients, null, 2));
    return 0;
  }

  const id = required(values.id, '--id');
  if (sub === 'revoke') {
    const result = await withMigratedStore(config, (store) =>
      store.tx(async (trx) => {
        const r = await revokeSystemClient(trx, id);
        if (!r.alreadyRevoked) await audit(trx, 'client.revoke', 'U', id, {});
        return r;
      }),
    );
    console.log(result.alreadyRevoked ? `vigil: client ${id} was already revoked.` : `vigil: revoked client ${id}; its tokens stop working on their next request.`);
    return 0;
  }

  const expiresDays = days(values['expires-days'], '--expires-days', 365, 1, 3650);
  const expiresAt = new Date(Date.now() + expiresDays * DAY_MS);
  if (sub === 'create') {
    const name = required(values.name, '--name');
    const scopeText = required(values.scope, '--scope');
    const parsed = parseScopes(scopeText);
    if (parsed.invalid > 0 || parsed.scopes.length === 0) throw new CommandUsageError('--scope takes SMART system scopes separated by spaces, e.g. "system/Patient.read system/Observation.write".');
    const key = await keyMaterial(values['public-key'], values.out);
    let created;
    try {
      created = await withMigratedStore(config, (store) =>
        store.tx(async (trx) => {
          const c = await createSystemClient(trx, { id, name, scopes: parsed.scopes, publicJwk: key.publicJwk, expiresAt });
          await audit(trx, 'client.create', 'C', id, { kid: c.kid, scopes: c.scopes, expiresAt: expiresAt.toISOString() });
          return c;
        }),
      );
    } catch (err) {
      key.abandon();
      throw err;
    }
    const written = key.commit();
    console.log(`vigil: created client ${id} with scopes ${created.scopes.join(' ')}; key ${created.kid} expires ${expiresAt.toISOString().slice(0, 10)}.`);
    if (written) console.log(`vigil: the private key is in ${written} (mode 0600): hand it to the client over a secure channel, then delete this copy.`);
    return 0;
  }

  // rotate
  const overlapDays = days(values['overlap-days'], '--overlap-days', 7, 0, 90);
  const key = await keyMaterial(values['public-key'], values.out);
  let rotated;
  try {
    rotated = await withMigratedStore(config, (store) =>
      store.tx(async (trx) => {
        const r = await rotateClientKey(trx, { clientId: id, publicJwk: key.publicJwk, expiresAt, overlapDays });
        await audit(trx, 'client.rotate', 'U', id, { kid: r.kid, retiring: r.retiring, oldKeysExpireAt: r.oldKeysExpireAt.toISOString(), expiresAt: expiresAt.toISOString() });
        return r;
      }),
    );
  } catch (err) {
    key.abandon();
    throw err;
  }
  const written = key.commit();
  console.log(`vigil: client ${id} has a new key ${rotated.kid} (expires ${expiresAt.toISOString().slice(0, 10)}); ${rotated.retiring.length} older key(s) stop working at ${rotated.oldKeysExpireAt.toISOString()}.`);
  if (written) console.log(`vigil: the private key is in ${written} (mode 0600): hand it to the client over a secure channel, then delete this copy.`);
  return 0;
}

export function clientsCommand(argv: string[]): Promise<number> {
  return runCommand('clients', CLIENTS_USAGE, () => run(argv));
}
