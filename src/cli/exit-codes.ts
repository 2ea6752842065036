/** DESIGN §7: what the CLI's exit status means, for shell scripts and CI. */
export const ExitCode = {
  Ok: 0,
  Error: 1,
  Usage: 2,
  /** Timed out, not enough messages, or not processed in time. */
  Timeout: 3,
  Unhealthy: 4,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
