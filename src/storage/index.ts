export * from './types.js';
export {CorruptionError} from './corruption.js';
export {messageCrc, messageFingerprint} from './crc.js';
export {MemoryStore, type MemoryStoreOptions} from './memory-store.js';
export {SqliteStore} from './sqlite-store.js';
export {openSqliteStore, openMemoryStore, DB_FILE, type OpenStoreOptions, type SynchronousLevel} from './open.js';
export {lockDataDir} from './dir-lock.js';
