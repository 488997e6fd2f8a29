export { MllpFrameDecoder, encodeFrame, START_BLOCK, END_BLOCK, CARRIAGE_RETURN, type MllpDecoded, type MllpDecoderOptions } from './framing.ts';
export { startMllpServer, type MllpServer, type MllpServerOptions, type MllpTlsOptions } from './server.ts';
export type { MllpEvent, MllpEventType, MllpHandler, MllpPeer } from './connection.ts';
