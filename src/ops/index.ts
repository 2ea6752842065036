/** Operations on a data directory outside (or beside) a running broker: backup, restore, disk upkeep. */
export {backupDataDir, type BackupOptions, type BackupResult} from './backup.js';
export {restoreDataDir, type RestoreOptions, type RestoreResult} from './restore.js';
export {readManifest, type BackupManifest} from './manifest.js';
export {diskSpace, formatBytes, type DiskSpace} from './disk-space.js';
