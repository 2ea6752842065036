import {Box, Text} from 'ink';
import type {BrokerSnapshot} from '../../observe/snapshots.js';
import type {History} from '../history.js';
import type {ViewId} from '../views.js';
import {BrokersView} from './brokers-view.js';
import {Footer} from './footer.js';
import {GroupsView} from './groups-view.js';
import {Header} from './header.js';
import {TopicsView} from './topics-view.js';

export interface DashboardProps {
  snapshots: readonly BrokerSnapshot[];
  history: History;
  /** Completed polls: 0 shows "connecting". */
  polls: number;
  view: ViewId;
  sort: string;
  paused: boolean;
  internal: boolean;
  intervalMs: number;
  lastPollAt: number | null;
  urls: readonly string[];
  width: number;
  height: number;
}

const VIEW = {brokers: BrokersView, topics: TopicsView, groups: GroupsView};

/** The whole screen, from props alone (tests render it to a string): header, the current view, the keys. */
export function Dashboard(p: DashboardProps) {
  const down = p.snapshots.filter((s) => !s.ok).length;
  // header (2 + one line per unreachable broker), a blank line, the table header, the footer, and one spare line
  // so the frame never scrolls the terminal
  const maxRows = Math.max(1, p.height - (2 + down) - 1 - 1 - 1 - 1);
  const sparkWidth = Math.max(6, Math.min(24, Math.floor(p.width / 8)));
  const View = VIEW[p.view];
  return (
    <Box flexDirection="column" width={p.width}>
      <Header snapshots={p.snapshots} view={p.view} sort={p.sort} paused={p.paused} intervalMs={p.intervalMs} lastPollAt={p.lastPollAt} />
      <Text> </Text>
      {p.polls === 0 ? (
        <Text dimColor>{`connecting to ${p.urls.join(', ')} ...`}</Text>
      ) : (
        <View snapshots={p.snapshots} history={p.history} sort={p.sort} width={p.width} maxRows={maxRows - 1} sparkWidth={sparkWidth} internal={p.internal} />
      )}
      <Footer />
    </Box>
  );
}
