import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { VigilError } from '../../errors.ts';

/**
 * AES-256-GCM with a fresh 96-bit IV per message. Layout: version (1 byte) ‖ IV (12) ‖ tag (16) ‖ ciphertext.
 * The associated data binds a ciphertext to what it belongs to (a patient, a key id), so a blob moved to another
 * record fails to decrypt instead of decrypting into the wrong place.
 */
const VERSION = 1;
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class DecryptionError extends VigilError {
  constructor(message = 'Encrypted data could not be decrypted: it was altered, or it belongs to another record or key.') {
    super('decryption-failed', 500, message);
  }
}

export function seal(key: Uint8Array, plaintext: Uint8Array, aad: string): Buffer {
  if (key.length !== 32) throw new RangeError('AES-256-GCM needs a 32-byte key');
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([Buffer.from([VERSION]), iv, cipher.getAuthTag(), body]);
}

export function open(key: Uint8Array, blob: Uint8Array, aad: string): Buffer {
  const data = Buffer.from(blob);
  if (key.length !== 32 || data.length < 1 + IV_BYTES + TAG_BYTES || data[0] !== VERSION) throw new DecryptionError();
  const iv = data.subarray(1, 1 + IV_BYTES);
  const tag = data.subarray(1 + IV_BYTES, 1 + IV_BYTES + TAG_BYTES);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, iv);
    decipher.setAAD(Buffer.from(aad, 'utf8'));
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data.subarray(1 + IV_BYTES + TAG_BYTES)), decipher.final()]);
  } catch {
    throw new DecryptionError();
  }
}
