import {useApp, useInput, useStdin} from 'ink';
import {useState} from 'react';
import type {BrokerSnapshot} from '../../observe/snapshots.js';
import {useStatus} from '../use-status.js';
import {useTerminalSize} from '../use-terminal-size.js';
import {SORTS, VIEWS, type ViewId} from '../views.js';
import {Dashboard} from './dashboard.js';

export interface AppProps {
  urls: readonly string[];
  /** Stable for the app's life (useStatus restarts polling when it changes). */
  poll: () => Promise<BrokerSnapshot[]>;
  intervalMs: number;
}

/**
 * `mq top`: the keys and the view state; data from useStatus, layout from Dashboard. Keys: tab / shift-tab and 1 2 3
 * switch views, s cycles the sort, p pauses, i shows internal topics, q quits.
 */
export function App({urls, poll, intervalMs}: AppProps) {
  const {exit} = useApp();
  const {isRawModeSupported} = useStdin();
  const size = useTerminalSize();
  const [view, setView] = useState<ViewId>('brokers');
  const [sorts, setSorts] = useState<Record<ViewId, number>>({brokers: 0, topics: 0, groups: 0});
  const [paused, setPaused] = useState(false);
  const [internal, setInternal] = useState(false);
  const data = useStatus({poll, intervalMs, paused});

  useInput(
    (input, key) => {
      const at = VIEWS.indexOf(view);
      if (input === 'q') exit();
      else if (key.tab) setView(VIEWS[(at + (key.shift ? VIEWS.length - 1 : 1)) % VIEWS.length]!);
      else if (input === '1' || input === '2' || input === '3') setView(VIEWS[Number(input) - 1]!);
      else if (input === 's') setSorts((s) => ({...s, [view]: (s[view] + 1) % SORTS[view].length}));
      else if (input === 'p') setPaused((x) => !x);
      else if (input === 'i') setInternal((x) => !x);
    },
    // without a terminal (piped stdin) Ink cannot read keys; `mq top` refuses to start there anyway
    {isActive: isRawModeSupported},
  );

  return (
    <Dashboard
      snapshots={data.snapshots}
      history={data.history}
      polls={data.polls}
      view={view}
      sort={SORTS[view][sorts[view]]!}
      paused={paused}
      internal={internal}
      intervalMs={intervalMs}
      lastPollAt={data.lastPollAt}
      urls={urls}
      width={size.columns}
      height={size.rows}
    />
  );
}
