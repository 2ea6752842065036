/** The oclif manifest of commands/index.ts, computed by sea/build.mjs (scripts/cli-manifest.ts) at build time. */
declare module 'mq:manifest' {
  import type {Interfaces} from '@oclif/core';
  const manifest: Interfaces.Manifest;
  export default manifest;
}
