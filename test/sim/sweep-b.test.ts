import {describe} from 'vitest';
import {defineSweep} from './ci-sweep.js';

describe('raft simulator, second half of the CI seeds', () => {
  defineSweep(1);
});
