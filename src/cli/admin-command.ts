import { randomBytes } from 'node:crypto';
import { closeSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { v7 as uuidv7 } from 'uuid';
import { loadConfig } from '../config/load.ts';
import { enrollTotp, setPassword, totpUri } from '../controls/access/auth/credentials.ts';
import { SYSTEM_FACTS } from '../controls/audit/audit-event.ts';
import { loadKeyring } from '../controls/keys/keyring.ts';
import { createOrganization, createPerson, withinTransaction, type DirectoryContext } from '../core/directory/index.ts';
import { CommandUsageError, runCommand, withMigratedStore } from './command-support.ts';
import { cliOperator } from './operator.ts';

/**
 * `vigil admin create`: the first security admin of a new installation, who then manages everyone else through the
 * admin API. The password and TOTP secret go to a file only its owner can read, never to the terminal or a log.
 */
export const ADMIN_USAGE = `  vigil admin create --username NAME --display-name "Full Name" --out FILE [--organization "Org name"]
      Create a security admin (the first one of a new installation). The organization is created when the database
      has none. The password and TOTP secret are written to FILE (mode 0600); hand them over, then delete the file.`;

async function run(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      username: { type: 'string' },
      'display-name': { type: 'string' },
      organization: { type: 'string' },
      out: { type: 'string' },
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help || positionals[0] !== 'create') {
    console.log(`Usage:\n${ADMIN_USAGE}`);
    return values.help ? 0 : 2;
  }
  if (!values.username || !values['display-name'] || !values.out) throw new CommandUsageError('--username, --display-name and --out are required.');
  const out = resolve(values.out);
  const config = loadConfig({ file: values.config });
  const keyring = loadKeyring(config);
  // Open the file first (exclusive, 0600): a path that exists already must not be overwritten or left half-written.
  let fd: number;
  try {
    fd = openSync(out, 'wx', 0o600);
  } catch {
    throw new CommandUsageError(`cannot create ${out}: it exists already or the folder is not writable.`);
  }
  try {
    const password = randomBytes(18).toString('base64url');
    const ctx: DirectoryContext = { subject: null, facts: SYSTEM_FACTS, actor: { actorType: 'system', actorId: 'vigil-cli', actorName: cliOperator() } };
    const { username, totpSecret } = await withMigratedStore(config, (store) =>
      store.tx(async (trx) => {
        const run = withinTransaction(trx);
        let org = await trx.selectFrom('organizations').select('id').orderBy('created_at').limit(2).execute();
        if (org.length === 0) {
          if (!values.organization) throw new CommandUsageError('this database has no organization yet: give --organization "Name".');
          org = [{ id: (await createOrganization(run, ctx, { name: values.organization })).id }];
        }
        if (org.length > 1) throw new CommandUsageError('this database holds several organizations; create further admins through the admin API.');
        const person = await createPerson(run, ctx, { id: uuidv7(), username: values.username!, displayName: values['display-name']!, organizationId: org[0]!.id, roles: ['security-admin'], facilityIds: [] });
        await setPassword(trx, person.id, password);
        return { username: person.username, totpSecret: await enrollTotp(trx, keyring, person.id) };
      }),
    );
    writeSync(fd, `${JSON.stringify({ username, password, totpSecret, otpauthUri: totpUri(totpSecret, username), roles: ['security-admin'] }, null, 2)}\n`);
    console.log(`vigil: created security admin ${username}; the password and TOTP secret are in ${out} (mode 0600).`);
    return 0;
  } catch (err) {
    closeSync(fd);
    fd = -1;
    unlinkSync(out);
    throw err;
  } finally {
    if (fd >= 0) closeSync(fd);
  }
}

export function adminCommand(argv: string[]): Promise<number> {
  return runCommand('admin', undefined, () => run(argv));
}
