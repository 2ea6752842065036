import {Box, Text} from 'ink';
import {autoscaleEventLines} from '../autoscale-events.js';
import {topicsTable} from '../views.js';
import type {ViewProps} from './brokers-view.js';
import {Table} from './table.js';

/** Autoscaler events shown under the table (partitions added, draining, removed, and why). */
const EVENT_LINES = 3;

/**
 * One row per partition: leader, in-sync replicas, offsets, rates in and out with the in-rate trend, and group lag.
 * Partitions the autoscaler added are marked `+` (or `(draining)`); its latest events follow the table.
 */
export function TopicsView({snapshots, history, sort, width, maxRows, sparkWidth, internal}: ViewProps) {
  const events = autoscaleEventLines(snapshots, EVENT_LINES);
  const table = (
    <Table model={topicsTable(snapshots, history, sort, sparkWidth, {internal})} width={width} maxRows={Math.max(1, maxRows - (events.length > 0 ? events.length + 1 : 0))} empty="no topics yet (mq produce <topic> <value> creates one)" />
  );
  if (events.length === 0) return table;
  return (
    <Box flexDirection="column">
      {table}
      <Text bold>autoscale</Text>
      {events.map((line, i) => (
        <Text key={i} dimColor wrap="truncate">
          {line}
        </Text>
      ))}
    </Box>
  );
}
