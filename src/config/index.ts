export * from './broker-config.js';
export * from './limits.js';
