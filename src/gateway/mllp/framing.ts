/** MLLP (HL7 v2 transport, release 1 framing): <VT> payload <FS><CR>. */
export const START_BLOCK = 0x0b;
export const END_BLOCK = 0x1c;
export const CARRIAGE_RETURN = 0x0d;

export type MllpDecoded =
  /** A complete payload, as bytes: its character set is the message's business (MSH-18), not the framer's. */
  | { type: 'frame'; payload: Buffer }
  /** Bytes outside any frame, or a frame abandoned by a new start block before its end; discarded. */
  | { type: 'junk'; bytes: number }
  /**
   * The frame passed maxMessageBytes after `bytes` bytes. Its bytes are dropped and the rest of it skipped; `head`
   * keeps its first few bytes so the receiver can still read MSH for a NAK.
   */
  | { type: 'oversize'; bytes: number; head: Buffer }
  /**
   * <FS> followed by something other than <CR>. The payload is handed over but must not be accepted: the frame
   * boundary is in doubt. Decoding resumes with the byte after <FS> as if outside a frame.
   */
  | { type: 'malformed-end'; payload: Buffer };

export interface MllpDecoderOptions {
  maxMessageBytes: number;
  /** How much of an oversize frame to keep for reading its header. */
  headBytes?: number;
}

type State = 'outside' | 'inside' | 'inside-end' | 'skipping' | 'skipping-end';

const MIN_CAPACITY = 1024;

/**
 * Streaming MLLP decoder. Chunks may split frames anywhere (down to single bytes) or carry many frames. It holds at
 * most one partial payload, in one buffer never larger than maxMessageBytes, whatever the sender writes.
 */
export class MllpFrameDecoder {
  private readonly max: number;
  private readonly headBytes: number;
  private state: State = 'outside';
  private buf: Buffer | undefined;
  private len = 0;
  private junk = 0;

  constructor(options: MllpDecoderOptions) {
    if (!Number.isSafeInteger(options.maxMessageBytes) || options.maxMessageBytes < 1) throw new RangeError('maxMessageBytes must be a positive integer.');
    this.max = options.maxMessageBytes;
    this.headBytes = Math.min(options.headBytes ?? 4096, this.max);
  }

  /** Payload bytes held for the frame in progress. */
  get bufferedBytes(): number {
    return this.len;
  }

  /** Memory held for the frame in progress (the buffer's capacity). */
  get capacityBytes(): number {
    return this.buf?.length ?? 0;
  }

  /** True when the stream stopped inside a frame (at end of input: a message that will never be acknowledged). */
  get inFrame(): boolean {
    return this.state !== 'outside';
  }

  push(chunk: Uint8Array): MllpDecoded[] {
    const out: MllpDecoded[] = [];
    const data = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let i = 0;
    while (i < data.length) {
      switch (this.state) {
        case 'outside': {
          const start = data.indexOf(START_BLOCK, i);
          if (start < 0) {
            this.junk += data.length - i;
            i = data.length;
          } else {
            this.junk += start - i;
            this.flushJunk(out);
            this.state = 'inside';
            i = start + 1;
          }
          break;
        }
        case 'inside': {
          const stop = nextControl(data, i);
          const to = stop < 0 ? data.length : stop;
          if (!this.append(data, i, to, out)) {
            i = to;
            break;
          }
          i = to;
          if (stop < 0) break;
          if (data[stop] === END_BLOCK) {
            this.state = 'inside-end';
          } else {
            // A new start block before the end block: the sender gave up on that frame and began another.
            this.junk += this.len + 1;
            this.flushJunk(out);
            this.reset();
            this.state = 'inside';
          }
          i = stop + 1;
          break;
        }
        case 'inside-end': {
          const payload = this.take();
          this.state = 'outside';
          if (data[i] === CARRIAGE_RETURN) {
            out.push({ type: 'frame', payload });
            i++;
          } else {
            out.push({ type: 'malformed-end', payload });
          }
          break;
        }
        case 'skipping': {
          const stop = nextControl(data, i);
          if (stop < 0) {
            i = data.length;
          } else {
            this.state = data[stop] === END_BLOCK ? 'skipping-end' : 'inside';
            i = stop + 1;
          }
          break;
        }
        case 'skipping-end': {
          this.state = 'outside';
          if (data[i] === CARRIAGE_RETURN) i++;
          break;
        }
      }
    }
    this.flushJunk(out);
    return out;
  }

  private flushJunk(out: MllpDecoded[]): void {
    if (this.junk > 0) out.push({ type: 'junk', bytes: this.junk });
    this.junk = 0;
  }

  /** Adds data[from, to) to the payload; false (and an oversize report) when that would pass the limit. */
  private append(data: Buffer, from: number, to: number, out: MllpDecoded[]): boolean {
    const n = to - from;
    if (n === 0) return true;
    const needed = this.len + n;
    if (needed > this.max) {
      out.push({ type: 'oversize', bytes: needed, head: this.head(data, from, to) });
      this.reset();
      this.state = 'skipping';
      return false;
    }
    if (!this.buf || this.buf.length < needed) {
      const grown = Buffer.allocUnsafe(Math.min(this.max, Math.max(needed, MIN_CAPACITY, (this.buf?.length ?? 0) * 2)));
      if (this.buf) this.buf.copy(grown, 0, 0, this.len);
      this.buf = grown;
    }
    data.copy(this.buf, this.len, from, to);
    this.len = needed;
    return true;
  }

  private head(data: Buffer, from: number, to: number): Buffer {
    const fromBuf = Math.min(this.len, this.headBytes);
    const fromData = Math.min(this.headBytes - fromBuf, to - from);
    const head = Buffer.alloc(fromBuf + fromData);
    if (this.buf) this.buf.copy(head, 0, 0, fromBuf);
    data.copy(head, fromBuf, from, from + fromData);
    return head;
  }

  /** Hands the payload over and forgets it: the next frame starts a fresh buffer, so nothing is shared or pinned. */
  private take(): Buffer {
    const payload = this.buf ? this.buf.subarray(0, this.len) : Buffer.alloc(0);
    this.reset();
    return payload;
  }

  private reset(): void {
    this.buf = undefined;
    this.len = 0;
  }
}

/** Position of the next <FS> or <VT> at or after `from`, whichever comes first; -1 when neither. */
function nextControl(data: Buffer, from: number): number {
  const end = data.indexOf(END_BLOCK, from);
  const start = data.subarray(from, end < 0 ? data.length : end).indexOf(START_BLOCK);
  return start < 0 ? end : from + start;
}

/** The bytes on the wire for one payload. A payload holding <VT> or <FS> cannot be framed and is refused. */
export function encodeFrame(payload: Buffer | string): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload;
  if (body.includes(START_BLOCK) || body.includes(END_BLOCK)) throw new RangeError('An MLLP payload must not contain the start (0x0B) or end (0x1C) block byte.');
  const framed = Buffer.allocUnsafe(body.length + 3);
  framed[0] = START_BLOCK;
  body.copy(framed, 1);
  framed[body.length + 1] = END_BLOCK;
  framed[body.length + 2] = CARRIAGE_RETURN;
  return framed;
}
