import type {BrokerSnapshot} from '../../observe/snapshots.js';
import type {History} from '../history.js';
import {brokersTable} from '../views.js';
import {Table} from './table.js';

export interface ViewProps {
  snapshots: readonly BrokerSnapshot[];
  history: History;
  sort: string;
  width: number;
  maxRows: number;
  sparkWidth: number;
  internal: boolean;
}

/** One row per URL: state, traffic with its trend, CPU, memory, event-loop delay; unreachable ones in red. */
export function BrokersView({snapshots, history, sort, width, maxRows, sparkWidth}: ViewProps) {
  return <Table model={brokersTable(snapshots, history, sort, sparkWidth)} width={width} maxRows={maxRows} empty="no brokers" />;
}
