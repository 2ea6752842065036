import {topicsTable} from '../views.js';
import type {ViewProps} from './brokers-view.js';
import {Table} from './table.js';

/** One row per partition: leader, in-sync replicas, offsets, rates in and out with the in-rate trend, and group lag. */
export function TopicsView({snapshots, history, sort, width, maxRows, sparkWidth, internal}: ViewProps) {
  return <Table model={topicsTable(snapshots, history, sort, sparkWidth, {internal})} width={width} maxRows={maxRows} empty="no topics yet (mq produce <topic> <value> creates one)" />;
}
