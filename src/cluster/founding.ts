import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import type {BrokerConfig} from '../config/index.js';
import {MqError} from '../errors.js';
import type {LogStore} from '../storage/index.js';
import {clusterIdFor, loadClusterSecret, parseBootstrap} from './bootstrap.js';
import {METADATA_GID, MetadataGroup} from './metadata/metadata-group.js';
import type {BrokerRecord, MetadataSnapshot} from './metadata/metadata-state.js';

export interface ClusterSetup {
  /** The metadata group's first snapshot, if this broker has none yet. */
  founding: () => MetadataSnapshot & {voters: number[]};
  /** Set when this broker is part of a cluster (it opens a peer listener); undefined for a single node. */
  secret: Buffer | undefined;
}

function brokerRecord(id: number, peer: string): BrokerRecord {
  return {id, peer, url: null, peerUrl: null, version: null};
}

/**
 * Decides, before the metadata group opens, whether this broker is a single node or a cluster member, and what the
 * metadata's first snapshot holds. Founders of a cluster must all compute the same snapshot, which is why it holds
 * only what the bootstrap list and the shared secret determine.
 */
export function clusterSetup(config: BrokerConfig, store: LogStore): ClusterSetup {
  if (config.bootstrap !== undefined && config.join !== undefined) throw new MqError('INVALID_CONFIG', 'give --bootstrap (found a cluster) or --join (join one), not both');
  const members = config.bootstrap === undefined ? undefined : parseBootstrap(config.bootstrap);
  if (members && !members.some((m) => m.id === config.nodeId)) {
    throw new MqError('INVALID_CONFIG', `--bootstrap must list this broker (node id ${config.nodeId}) among the founders`);
  }
  const existing = store.getRaftSnapshot(METADATA_GID) !== undefined;
  const known = existing ? store.listMeta('broker/').map(([, json]) => (JSON.parse(json) as BrokerRecord).id) : [];
  // a member's data directory knows its cluster and members (joins and removals since): a restart's --bootstrap
  // list is not compared with them, and the secret check (loadClusterSecret) keeps it from another cluster
  const dataDir = config.inMemory ? undefined : config.dataDir;
  const stored = dataDir !== undefined && fs.existsSync(path.join(dataDir, 'cluster.secret'));
  const joining = config.join !== undefined && !existing;
  const clustered = members !== undefined || known.length > 1 || stored || joining;
  // a joiner must be given the secret (there is nobody to generate it with)
  const founders = joining ? Number.POSITIVE_INFINITY : (members?.length ?? known.length);
  const secret = clustered ? loadClusterSecret({dataDir, secretFile: config.clusterSecretFile, founders}) : undefined;
  return {
    secret,
    founding: () => {
      if (joining) return {clusterId: '', brokers: [], topics: [], nextPid: 1, voters: []};
      const legacy = MetadataGroup.legacyTopics(store, config.nodeId);
      if (!members) {
        return {
          clusterId: crypto.randomUUID(),
          brokers: [brokerRecord(config.nodeId, config.peerAdvertise ?? config.peerListen)],
          topics: legacy.topics,
          nextPid: legacy.nextPid,
          voters: [config.nodeId],
        };
      }
      if (legacy.topics.length > 0 && members.length > 1) {
        throw new MqError(
          'INVALID_CONFIG',
          'this data directory holds topics: bootstrap a one-member cluster with it (--bootstrap listing only this broker), then let the others join',
        );
      }
      return {
        clusterId: clusterIdFor(secret!),
        brokers: members.map((m) => brokerRecord(m.id, m.peer)),
        topics: legacy.topics,
        nextPid: legacy.nextPid,
        voters: members.map((m) => m.id),
      };
    },
  };
}
