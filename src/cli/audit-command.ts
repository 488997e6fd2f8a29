import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { loadConfig } from '../config/load.ts';
import { exportAudit } from '../controls/audit/export.ts';
import { formatProblem, parsePublicKeys, parseWitnesses, verifyExportFile, verifyLive, type VerifyReport, type WitnessCheckpoint } from '../controls/audit/verify.ts';
import { loadKeyring } from '../controls/keys/keyring.ts';
import { SigningKeys } from '../controls/keys/signing-keys.ts';
import { withMigratedStore } from './command-support.ts';

/**
 * `vigil audit …`: export the sealed log, verify an export offline or the database live, print the public keys.
 * Exit codes: 0 everything verified (or the export was written), 1 verification failed (the one line printed names the
 * first bad position) or the command failed, 2 a usage error or an input file that cannot be read.
 */
export const AUDIT_USAGE = `  vigil audit export --out FILE [--from ISO] [--to ISO]
      Write the sealed audit log (or the events recorded between --from and --to) as signed NDJSON.
  vigil audit verify FILE --public-key PEMFILE
      Check an export offline: every hash, chain link, seq, checkpoint and signature. Exit 0 only if all verify.
  vigil audit verify --live [--public-key PEMFILE] [--witness CHECKPOINTS.json]
      The same checks against the database. --public-key pins the keys; --witness holds checkpoints saved earlier
      (GET /api/audit/checkpoints) that the log must still contain, which shows a tail cut together with its checkpoints.
  vigil audit public-key
      Print every audit signing public key (PEM, each after a "# key_id … created … retired …" line).`;

class AuditUsageError extends Error {}

const ISO = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

function isoTime(value: string | undefined, name: string): Date | undefined {
  if (value === undefined) return undefined;
  const date = new Date(value);
  if (!ISO.test(value) || Number.isNaN(date.getTime())) throw new AuditUsageError(`${name} must be an ISO 8601 time such as 2026-01-31T00:00:00Z (got "${value.slice(0, 40)}").`);
  return date;
}


function readKeys(file: string | undefined): ReturnType<typeof parsePublicKeys> | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new AuditUsageError(`cannot read the public key file ${file}.`);
  }
  const keys = parsePublicKeys(text);
  if (keys.size === 0) throw new AuditUsageError(`${file} holds no Ed25519 public key; save the output of \`vigil audit public-key\` and pass that.`);
  return keys;
}

function readWitnesses(file: string | undefined): WitnessCheckpoint[] | undefined {
  if (file === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    throw new AuditUsageError(`cannot read the witness file ${file}.`);
  }
  try {
    return parseWitnesses(text);
  } catch (err) {
    throw new AuditUsageError(`${file}: ${(err as Error).message}.`);
  }
}

function describe(report: VerifyReport): string {
  const range = report.events > 0 ? ` (seq ${report.fromSeq}–${report.toSeq})` : '';
  const keys = report.keyIds.length > 0 ? `, signed by ${report.keyIds.join(', ')}` : '';
  return `${report.events} event(s)${range}, ${report.checkpoints} checkpoint(s)${keys}`;
}

export async function auditCommand(argv: string[]): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        out: { type: 'string' },
        from: { type: 'string' },
        to: { type: 'string' },
        'public-key': { type: 'string' },
        witness: { type: 'string' },
        live: { type: 'boolean', default: false },
        config: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (err) {
    return usage((err as Error).message.split('\n')[0]!.slice(0, 200));
  }
  const [sub, ...rest] = positionals;
  if (values.help || !sub) {
    console.log(`Usage:\n${AUDIT_USAGE}`);
    return values.help ? 0 : 2;
  }
  try {
    const config = loadConfig({ file: values.config });

    if (sub === 'export') {
      if (rest.length > 0) throw new AuditUsageError('audit export takes no file argument; give the output file with --out FILE.');
      if (!values.out) throw new AuditUsageError('audit export needs --out FILE.');
      if (existsSync(values.out)) throw new AuditUsageError(`${values.out} exists; give a new file name (an export never overwrites another).`);
      const from = isoTime(values.from, '--from');
      const to = isoTime(values.to, '--to');
      if (from && to && from > to) throw new AuditUsageError('--from must not be later than --to.');
      const out = values.out;
      const keyring = loadKeyring(config);
      const summary = await withMigratedStore(config, (store) =>
        exportAudit(store, new SigningKeys(keyring, 'audit'), out, {
          from,
          to,
          seal: { checkpointEvents: config.auditCheckpointEvents, checkpointSeconds: config.auditCheckpointSeconds },
        }),
      );
      const range = summary.count > 0 ? ` (seq ${summary.fromSeq}–${summary.toSeq})` : '';
      console.log(`vigil: exported ${summary.count} audit event(s)${range} and ${summary.checkpoints} checkpoint(s) to ${out}, signed by ${summary.keyId}.`);
      return 0;
    }

    if (sub === 'verify') {
      const keys = readKeys(values['public-key']);
      if (values.live) {
        if (rest.length > 0) throw new AuditUsageError('audit verify --live takes no file; drop one or the other.');
        const witnesses = readWitnesses(values.witness);
        const report = await withMigratedStore(config, (store) => verifyLive(store, { ...(keys ? { publicKeys: keys } : {}), ...(witnesses ? { witnesses } : {}) }));
        for (const w of report.warnings) console.error(`vigil: warning: ${w}`);
        if (report.ok) {
          console.log(`vigil: the audit log verifies: ${describe(report)}.`);
          return 0;
        }
        const [first, ...more] = report.problems;
        console.error(`vigil: the audit log does not verify: ${formatProblem(first!)}`);
        for (const p of more) console.error(`  also ${formatProblem(p)}`);
        return 1;
      }
      if (values.witness) throw new AuditUsageError('--witness goes with --live; an export carries its own signed manifest.');
      const file = rest[0];
      if (!file || rest.length > 1) throw new AuditUsageError('audit verify needs one export FILE (or --live).');
      if (!keys) throw new AuditUsageError('audit verify FILE needs --public-key PEMFILE (the output of `vigil audit public-key`).');
      let report: VerifyReport;
      try {
        report = await verifyExportFile(file, keys);
      } catch {
        throw new AuditUsageError(`cannot read ${file}.`);
      }
      if (report.ok) {
        console.log(`vigil: ${file} verifies: ${describe(report)}.`);
        return 0;
      }
      console.error(`vigil: ${file} does not verify: ${formatProblem(report.problems[0]!)}`);
      return 1;
    }

    if (sub === 'public-key') {
      if (rest.length > 0) throw new AuditUsageError('audit public-key takes no arguments.');
      const keys = await withMigratedStore(config, async (store) => {
        const signing = new SigningKeys(loadKeyring(config), 'audit');
        // Printing needs no private key; only a new database, which has no key yet, makes (and so unwraps) one.
        const published = await signing.publicKeys(store.db);
        if (published.length > 0) return published;
        await signing.active(store);
        return signing.publicKeys(store.db);
      });
      for (const k of keys) {
        console.log(`# key_id ${k.keyId} created ${k.createdAt} retired ${k.retiredAt ?? 'no (active)'}`);
        console.log(k.publicKeyPem.trimEnd());
      }
      return 0;
    }
    throw new AuditUsageError(`unknown audit command "${sub.slice(0, 20)}".`);
  } catch (err) {
    if (err instanceof AuditUsageError) return usage(err.message);
    throw err;
  }
}

function usage(message: string): number {
  console.error(`vigil: ${message}\n\nUsage:\n${AUDIT_USAGE}`);
  return 2;
}
