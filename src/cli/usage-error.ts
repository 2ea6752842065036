/** A usage problem the flag parser cannot see (e.g. two flags that exclude each other): exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}
