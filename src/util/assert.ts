/** Thrown for broken invariants (programmer errors), never for bad input: those get typed MqErrors. */
export class AssertionError extends Error {
  override name = 'AssertionError';
}

export function assert(condition: unknown, message = 'assertion failed'): asserts condition {
  if (!condition) throw new AssertionError(message);
}
