import {MqError} from '../errors.js';

/** A stored message or entry failed its CRC check. Never served; the broker reports and isolates it. */
export class CorruptionError extends MqError {
  constructor(
    readonly pid: number,
    readonly offset: number,
    readonly index?: number,
  ) {
    super('DATA_CORRUPTED', `partition ${pid}: stored ${index === undefined ? `message at offset ${offset}` : `entry ${index}`} failed its CRC check`, {
      offset,
      ...(index === undefined ? {} : {index}),
    });
  }
}
