import type { Hl7Message } from '../../src/adapters/hl7v2/index.ts';
import type { RawMllpClient } from './raw-mllp-client.ts';

/**
 * Sends one message and returns the ACK that answers it. The client keeps every ACK the connection has received, so
 * the answer is the first one after those already there when the message went out.
 */
export async function sendForAck(client: RawMllpClient, message: string, timeoutMs = 10_000): Promise<Hl7Message> {
  const before = client.acks.length;
  client.send(message);
  const acks = await client.waitForAcks(before + 1, timeoutMs);
  return acks[before]!;
}
