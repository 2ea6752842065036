import {groupsTable} from '../views.js';
import type {ViewProps} from './brokers-view.js';
import {Table} from './table.js';

/** One row per consumer group: mode, members, lag with its trend, in-flight and dead-lettered messages. */
export function GroupsView({snapshots, history, sort, width, maxRows, sparkWidth}: ViewProps) {
  return <Table model={groupsTable(snapshots, history, sort, sparkWidth)} width={width} maxRows={maxRows} empty="no consumer groups" />;
}
