import {describe, expect, test} from 'vitest';
import type {NodeId} from '../../src/cluster/raft/index.js';
import type {ProtocolRange} from '../../src/cluster/transport/handshake.js';
import {type RejectEvent, type TcpTransport} from '../../src/cluster/transport/tcp-transport.js';
import type {GroupMessage} from '../../src/cluster/transport/types.js';
import {mesh, useTransports, waitUntil} from '../helpers/transport.js';

/*
 * Rolling upgrades at the transport level: brokers that speak different ranges of peer protocol versions. A range
 * of [1, 1] is what the first release speaks (a fixed version 1 greeting), so these tests also pin down that a
 * negotiating broker still talks to it, in both directions.
 */

const SECRET = Buffer.from('test-secret-test-secret-32-bytes');
const startWith = useTransports({clusterId: 'versions', secret: SECRET, reconnectBackoffMinMs: 20, reconnectBackoffMaxMs: 200});
const start = (nodeId: NodeId, protocol: ProtocolRange): Promise<TcpTransport> => startWith(nodeId, {protocol});
const waitFor = waitUntil;




/** The version each pair agreed on, as each side reports it: "1-2:2" is node 1's view of its connection to 2. */
function versions(ts: TcpTransport[]): string[] {
  return ts.flatMap((t) => t.peers().map((p) => `${t.nodeId}-${p.id}:${p.protocol}`)).sort();
}

const heartbeat = (from: NodeId, to: NodeId): GroupMessage => [0, {type: 'heartbeat', from, to, term: 1, commit: 0}];

/** Every broker sends to every other and each hears from all: the mesh carries Raft traffic. */
async function exchange(ts: TcpTransport[]): Promise<void> {
  const heard = new Map(ts.map((t) => [t.nodeId, new Set<NodeId>()]));
  for (const t of ts) t.onMessages((from) => heard.get(t.nodeId)!.add(from));
  await waitFor(() => {
    for (const t of ts) t.send(new Map(ts.filter((o) => o !== t).map((o) => [o.nodeId, [heartbeat(t.nodeId, o.nodeId)]])));
    return [...heard.values()].every((s) => s.size === ts.length - 1);
  }, 'every broker hearing every other');
}

describe('peer protocol versions', () => {
  test('versions - a first-release broker (protocol 1 only) and negotiating brokers form a full mesh, each pair on the highest common version', async () => {
    // 1 (new) dials 2 (old): its negotiating HELLO is refused, it falls back to version 1; 2 (old) dials 3 (new): a
    // version 1 HELLO, accepted as version 1; 1 and 3 (both new) negotiate version 2
    const ts = [await start(1, {min: 1, max: 2}), await start(2, {min: 1, max: 1}), await start(3, {min: 1, max: 2})];
    const rejected: RejectEvent[] = [];
    for (const t of ts) t.onReject((ev) => rejected.push(ev));
    mesh(ts);
    await waitFor(() => ts.every((t) => t.peers().every((p) => p.connected)), 'a full mesh');
    expect(versions(ts)).toEqual(['1-2:1', '1-3:2', '2-1:1', '2-3:1', '3-1:2', '3-2:1']);
    await exchange(ts);
    // the fallback is not reported as a refusal on the dialer's side (it is expected during an upgrade)
    expect(rejected.filter((r) => r.direction === 'received')).toEqual([]);
  });

  test('versions - once the old broker is upgraded (restarted speaking 1-2), its connections negotiate version 2', async () => {
    const [a, b] = [await start(1, {min: 1, max: 2}), await start(2, {min: 1, max: 1})];
    mesh([a, b]);
    await waitFor(() => a.peers()[0]?.protocol === 1, 'a version 1 connection');
    await b.close();
    const upgraded = await start(2, {min: 1, max: 2});
    mesh([a, upgraded]);
    await waitFor(() => a.peers()[0]?.protocol === 2 && upgraded.peers()[0]?.protocol === 2, 'a version 2 connection');
    await exchange([a, upgraded]);
  });

  test('versions - brokers that share no version refuse each other, both sides saying why', async () => {
    const [a, b] = [await start(1, {min: 1, max: 1}), await start(2, {min: 2, max: 3})];
    const [ra, rb] = [[] as RejectEvent[], [] as RejectEvent[]];
    a.onReject((ev) => ra.push(ev));
    b.onReject((ev) => rb.push(ev));
    mesh([a, b]);
    await waitFor(() => ra.length > 0 && rb.length > 0, 'refusals');
    expect(rb[0]).toMatchObject({direction: 'sent', code: 'PROTOCOL_MISMATCH'});
    expect(rb[0]!.message).toMatch(/node 1 speaks only protocol 1 .* node 2 speaks 2-3/);
    expect(ra[0]).toMatchObject({direction: 'received', code: 'PROTOCOL_MISMATCH'});
    expect(a.peers()[0]!.connected || b.peers()[0]!.connected).toBe(false);
  });

  test('versions - a dialer that no longer speaks version 1 does not fall back to it', async () => {
    const [a, b] = [await start(1, {min: 2, max: 3}), await start(2, {min: 1, max: 1})];
    const ra: RejectEvent[] = [];
    a.onReject((ev) => ra.push(ev));
    mesh([a, b]);
    await waitFor(() => ra.length >= 2, 'two refusals');
    // every dial negotiated and was refused in the first release's words
    expect(ra.map((r) => [r.code, r.message])).toEqual([
      ['PROTOCOL_MISMATCH', 'protocol 0 is not 1'],
      ['PROTOCOL_MISMATCH', 'protocol 0 is not 1'],
    ]);
    expect(a.peers()[0]!.connected).toBe(false);
  });
});
