/** What `mq lb` (commands/lb.ts) loads when it runs: flags → config, and the foreground process. */
export {lbConfigFromFlags} from './lb-flags.js';
export {runLbProcess} from './lb-process.js';
