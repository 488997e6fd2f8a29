import type { AuditActor, AuditEventInput } from '../../controls/audit/audit-event.ts';
import { recordAudit } from '../../controls/audit/audit-event.ts';
import type { RequestFacts, Subject } from '../../controls/access/subject.ts';
import type { Db, Store, Tx } from '../../store/store.ts';

/**
 * Who makes a directory change and from where: it goes onto the audit event written in the change's transaction.
 * `actor` overrides the subject for changes no person makes (the demo seed).
 */
export interface DirectoryContext {
  subject: Subject | null;
  facts: RequestFacts;
  actor?: Partial<AuditActor>;
}

/** Anything that can run a function in one transaction: a Store, or an open transaction lent by a caller. */
export type TxRunner = Pick<Store, 'tx'>;

/**
 * Lends an open transaction to the directory functions, so a caller (the demo seed) can make many changes commit or
 * roll back together. Kysely cannot nest transactions, so the functions reuse this one instead of opening their own.
 */
export function withinTransaction(trx: Tx): TxRunner {
  return { tx: (fn) => fn(trx) };
}

export type Reader = Db | Tx;

export async function audit(trx: Tx, ctx: DirectoryContext, event: Omit<AuditEventInput, 'outcome'>): Promise<void> {
  await recordAudit(trx, ctx.subject, ctx.facts, { ...event, outcome: 'success', ...(ctx.actor ? { actor: ctx.actor } : {}) });
}

export function iso(value: Date | string): string;
export function iso(value: Date | string | null): string | null;
export function iso(value: Date | string | null): string | null {
  if (value === null) return null;
  return (value instanceof Date ? value : new Date(value)).toISOString();
}

/** Parses an instant given by a caller; the HTTP schema already checked the format, internal callers may pass Dates. */
export function instant(value: string | Date): Date {
  return value instanceof Date ? value : new Date(value);
}
