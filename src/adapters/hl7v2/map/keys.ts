import { text, type Located } from './segments.ts';

/** An EI order number (ORC-2/3, OBR-2/3): entity id, with its namespace when sent, since two namespaces may reuse ids. */
export function orderNumber(loc: Located, field: number): string {
  const id = text(loc.seg, field, 1, 1);
  if (id === '') return '';
  const namespace = text(loc.seg, field, 1, 2);
  return namespace ? `${id}^${namespace}` : id;
}

/**
 * The key an order is known by: the filler's number when there is one (it names the order once accepted), else the
 * placer's. Prefixed, because placer and filler number the same orders independently and their ids can coincide.
 */
export function orderKey(filler: string, placer: string): string | undefined {
  if (filler) return `filler:${filler}`;
  if (placer) return `placer:${placer}`;
  return undefined;
}

/**
 * Hands out source keys for one message. A key the message has already used gets `#2`, `#3` … in order of
 * appearance: two facts sharing a key would be stored as one fact's versions and the first would be lost. Numbering by
 * order keeps the keys the same when the same message is sent again.
 */
export class KeyRegistry {
  private readonly used = new Set<string>();
  unique(key: string): string {
    let candidate = key;
    for (let n = 2; this.used.has(candidate); n++) candidate = `${key}#${n}`;
    this.used.add(candidate);
    return candidate;
  }
}
