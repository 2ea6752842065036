import {useEffect, useState} from 'react';
import type {BrokerSnapshot} from '../observe/snapshots.js';
import {appendHistory, HISTORY_MAX, type History} from './history.js';

export interface StatusState {
  snapshots: BrokerSnapshot[];
  history: History;
  /** Completed polls; 0 until the first answer (or failure) from every URL. */
  polls: number;
  lastPollAt: number | null;
}

export interface UseStatusOptions {
  /** Fetches every URL's /status; never throws for an unreachable broker (StatusPoller). Must be stable. */
  poll: () => Promise<BrokerSnapshot[]>;
  intervalMs: number;
  /** While paused nothing is fetched, and the screen keeps the last snapshot. */
  paused: boolean;
  historyMax?: number;
}

/**
 * The one data hook of `mq top`: polls, then waits `intervalMs` after each answer (a slow broker slows the refresh
 * instead of piling up requests), and keeps the last snapshots plus a short history for the sparklines.
 */
export function useStatus({poll, intervalMs, paused, historyMax = HISTORY_MAX}: UseStatusOptions): StatusState {
  const [state, setState] = useState<StatusState>({snapshots: [], history: new Map(), polls: 0, lastPollAt: null});
  useEffect(() => {
    if (paused) return;
    let cancelled = false;
    let timer: NodeJS.Timeout | undefined;
    const tick = async (): Promise<void> => {
      let snapshots: BrokerSnapshot[] | undefined;
      try {
        snapshots = await poll();
      } catch {
        // a poll function that throws (not StatusPoller) skips one refresh instead of stopping them
      }
      if (cancelled) return;
      if (snapshots) {
        const snaps = snapshots;
        setState((prev) => ({snapshots: snaps, history: appendHistory(prev.history, snaps, historyMax), polls: prev.polls + 1, lastPollAt: Date.now()}));
      }
      timer = setTimeout(() => void tick(), intervalMs);
    };
    void tick();
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [poll, intervalMs, paused, historyMax]);
  return state;
}
