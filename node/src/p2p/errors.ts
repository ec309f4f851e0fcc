// Typed errors of the node's libp2p protocols (Lodestar's reqresp keeps one code enum the same way):
// a log line or a test can tell a refused request from a broken one by code, not by message text.

export enum P2pErrorCode {
  /** The peer is over its request rate or its concurrent streams for a protocol. */
  RATE_LIMITED = 'ERR_RATE_LIMITED',
  /** The peer was banned (strikes) while a pull from it ran. */
  PEER_BANNED = 'ERR_PEER_BANNED',
  /** The peer is not an active participant of the region. */
  NOT_A_PARTICIPANT = 'ERR_NOT_A_PARTICIPANT',
  /** The asking peer closed its stream before the answer was ready. */
  ASKER_GONE = 'ERR_ASKER_GONE'
}

export class P2pError extends Error {
  override readonly name = 'P2pError'
  constructor(
    readonly code: P2pErrorCode,
    message: string
  ) {
    super(message)
  }
}

export const rateLimited = (): P2pError => new P2pError(P2pErrorCode.RATE_LIMITED, 'rate limited')
