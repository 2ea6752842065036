import {useApp, useInput, useStdin} from 'ink';
import {useReducer} from 'react';
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

interface KeyState {
  view: ViewId;
  sorts: Record<ViewId, number>;
  paused: boolean;
  internal: boolean;
}

type KeyAction = {type: 'view'; to: ViewId} | {type: 'step-view'; by: 1 | -1} | {type: 'sort' | 'pause' | 'internal'};

const INITIAL: KeyState = {view: 'brokers', sorts: {brokers: 0, topics: 0, groups: 0}, paused: false, internal: false};

/**
 * Every key is a reducer action so that it applies to the state as it is now. Ink re-subscribes the input handler
 * only after a render's effects run; a handler that read `view` from its closure sorted the previous view when `s`
 * followed `2` quickly (the flake CI caught).
 */
export function keyReducer(state: KeyState, action: KeyAction): KeyState {
  switch (action.type) {
    case 'view':
      return {...state, view: action.to};
    case 'step-view': {
      const at = VIEWS.indexOf(state.view);
      return {...state, view: VIEWS[(at + action.by + VIEWS.length) % VIEWS.length]!};
    }
    case 'sort':
      return {...state, sorts: {...state.sorts, [state.view]: (state.sorts[state.view] + 1) % SORTS[state.view].length}};
    case 'pause':
      return {...state, paused: !state.paused};
    case 'internal':
      return {...state, internal: !state.internal};
  }
}

/**
 * `mq top`: the keys and the view state; data from useStatus, layout from Dashboard. Keys: tab / shift-tab and 1 2 3
 * switch views, s cycles the sort, p pauses, i shows internal topics, q quits.
 */
export function App({urls, poll, intervalMs}: AppProps) {
  const {exit} = useApp();
  const {isRawModeSupported} = useStdin();
  const size = useTerminalSize();
  const [state, dispatch] = useReducer(keyReducer, INITIAL);
  const data = useStatus({poll, intervalMs, paused: state.paused});

  useInput(
    (input, key) => {
      if (input === 'q') exit();
      else if (key.tab) dispatch({type: 'step-view', by: key.shift ? -1 : 1});
      else if (input === '1' || input === '2' || input === '3') dispatch({type: 'view', to: VIEWS[Number(input) - 1]!});
      else if (input === 's') dispatch({type: 'sort'});
      else if (input === 'p') dispatch({type: 'pause'});
      else if (input === 'i') dispatch({type: 'internal'});
    },
    // without a terminal (piped stdin) Ink cannot read keys; `mq top` refuses to start there anyway
    {isActive: isRawModeSupported},
  );

  return (
    <Dashboard
      snapshots={data.snapshots}
      history={data.history}
      polls={data.polls}
      view={state.view}
      sort={SORTS[state.view][state.sorts[state.view]]!}
      paused={state.paused}
      internal={state.internal}
      intervalMs={intervalMs}
      lastPollAt={data.lastPollAt}
      urls={urls}
      width={size.columns}
      height={size.rows}
    />
  );
}
