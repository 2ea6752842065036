import {PROTOCOL_VERSION_MAX, PROTOCOL_VERSION_MIN} from '../cluster/transport/handshake.js';
import {FORMAT_VERSION} from '../storage/sql.js';

/**
 * `mq --version`: oclif's line (name/version platform node), then what decides whether this build can take over a
 * data directory and talk to the other brokers: the on-disk data format and the peer protocol versions it speaks.
 */
export function versionLine(userAgent: string): string {
  return `${userAgent} (data format ${FORMAT_VERSION}, peer protocol ${PROTOCOL_VERSION_MIN}-${PROTOCOL_VERSION_MAX})`;
}
