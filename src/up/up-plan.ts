import path from 'node:path';
import {UsageError} from '../cli/usage-error.js';
import {brokerUrl, checkPortsFree, freePorts, UpLayout, type UpSpec} from './up-layout.js';
import type {ChildSpec} from './supervisor.js';

export interface UpRequest {
  dataDir: string;
  /** undefined: not given (3 for a new cluster, the recorded number on a re-run). */
  brokers: number | undefined;
  lb: boolean;
  /** The context name (default: the data directory's name). */
  name: string | undefined;
}

export interface UpPlan {
  layout: UpLayout;
  spec: UpSpec;
  resumed: boolean;
  brokerUrls: string[];
  lbUrl: string | undefined;
  /** What clients use: the lb if there is one, else broker 1. */
  url: string;
}

export const DEFAULT_BROKERS = 3;

/**
 * A new cluster gets free ports, recorded in up.json; an existing one keeps its ports (a taken one is an error, not
 * a silent move: the contexts and scripts that know the URLs would break). `--lb` adds an lb to an existing cluster;
 * one recorded before keeps being started.
 */
export async function planUp(r: UpRequest): Promise<UpPlan> {
  const layout = new UpLayout(r.dataDir);
  const old = layout.readSpec();
  let spec: UpSpec;
  if (old) {
    if (r.brokers !== undefined && r.brokers !== old.brokers.length) {
      throw new UsageError(`${layout.dir} holds a ${old.brokers.length}-broker cluster; --brokers ${r.brokers} differs (leave it out to resume, or use another --data-dir)`);
    }
    spec = {...old, name: r.name ?? old.name};
    if (r.lb && !spec.lb) spec.lb = {port: (await freePorts(1))[0]!};
  } else {
    const n = r.brokers ?? DEFAULT_BROKERS;
    const ports = await freePorts(2 * n + (r.lb ? 1 : 0));
    spec = {
      version: 1,
      name: r.name ?? path.basename(layout.dir),
      brokers: Array.from({length: n}, (_, i) => ({id: i + 1, port: ports[2 * i]!, peer_port: ports[2 * i + 1]!})),
      lb: r.lb ? {port: ports[2 * n]!} : null,
    };
  }
  await checkPortsFree(spec, layout.specFile);
  layout.writeSpec(spec);
  layout.ensureSecret();
  const brokerUrls = spec.brokers.map((b) => brokerUrl(b.port));
  const lbUrl = spec.lb ? brokerUrl(spec.lb.port) : undefined;
  return {layout, spec, resumed: old !== undefined, brokerUrls, lbUrl, url: lbUrl ?? brokerUrls[0]!};
}

/** The processes of a plan: `mq broker start` for each broker (as src/bench/local-cluster.ts runs them), then `mq lb`. */
export function childSpecs(plan: UpPlan): ChildSpec[] {
  const {layout, spec} = plan;
  const bootstrap = spec.brokers.map((b) => `${b.id}@127.0.0.1:${b.peer_port}`).join(',');
  const brokers: ChildSpec[] = spec.brokers.map((b) => {
    const name = `broker-${b.id}`;
    return {
      name,
      kind: 'broker',
      readyFile: layout.readyFile(name),
      outFile: layout.logFile(`${name}.out`),
      args: [
        'broker', 'start',
        '--node-id', String(b.id),
        '--data-dir', layout.brokerDir(b.id),
        '--listen', `127.0.0.1:${b.port}`,
        '--peer-listen', `127.0.0.1:${b.peer_port}`,
        '--bootstrap', bootstrap,
        '--cluster-secret-file', layout.secretFile,
        '--ready-file', layout.readyFile(name),
        '--log-file', layout.logFile(name),
      ],
    };
  });
  if (!spec.lb) return brokers;
  const lb: ChildSpec = {
    name: 'lb',
    kind: 'lb',
    readyFile: layout.readyFile('lb'),
    outFile: layout.logFile('lb.out'),
    args: ['lb', '--listen', `127.0.0.1:${spec.lb.port}`, ...plan.brokerUrls.flatMap((u) => ['--upstream', u]), '--ready-file', layout.readyFile('lb'), '--log-file', layout.logFile('lb')],
  };
  return [...brokers, lb];
}
