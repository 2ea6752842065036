import {Box, Text} from 'ink';
import type {BrokerSnapshot} from '../../observe/snapshots.js';
import {formatDuration, formatRate} from '../format.js';
import {VIEWS, VIEW_TITLES, type ViewId} from '../views.js';

export interface HeaderProps {
  snapshots: readonly BrokerSnapshot[];
  view: ViewId;
  sort: string;
  paused: boolean;
  intervalMs: number;
  lastPollAt: number | null;
}

/** Title, view tabs, refresh state, cluster totals, and one red line per unreachable broker. */
export function Header({snapshots, view, sort, paused, intervalMs, lastPollAt}: HeaderProps) {
  const up = snapshots.filter((s) => s.ok);
  const down = snapshots.filter((s) => !s.ok);
  const sum = (f: (s: (typeof up)[number]) => number): number => up.reduce((n, s) => n + f(s), 0);
  const inRate = sum((s) => s.status.totals?.messages_in_per_s ?? 0);
  const outRate = sum((s) => s.status.totals?.messages_out_per_s ?? 0);
  const time = lastPollAt === null ? 'never' : new Date(lastPollAt).toTimeString().slice(0, 8);
  return (
    <Box flexDirection="column">
      <Text wrap="truncate">
        <Text bold color="cyan">
          mq top
        </Text>
        {'  '}
        {VIEWS.map((v, i) => (
          <Text key={v} inverse={v === view} bold={v === view}>
            {` ${i + 1} ${VIEW_TITLES[v]} `}
          </Text>
        ))}
        {'  '}
        <Text dimColor>{`sort: ${sort}  every ${formatDuration(intervalMs)}  `}</Text>
        {paused ? (
          <Text bold color="yellow" inverse>
            {' PAUSED '}
          </Text>
        ) : null}
      </Text>
      <Text wrap="truncate">
        <Text color={down.length ? 'red' : 'green'}>{`brokers ${up.length}/${snapshots.length} reachable`}</Text>
        {`  in ${formatRate(inRate)} msg/s  out ${formatRate(outRate)} msg/s  updated ${time}`}
      </Text>
      {down.map((s) => (
        <Text key={s.url} color="red" wrap="truncate">
          {`✗ ${s.url} UNREACHABLE: ${s.ok ? '' : s.error.message}`}
        </Text>
      ))}
    </Box>
  );
}
