/** `mq lb`: a load balancer in front of brokers (docs/operations.md, "Load balancer (mq lb)"). */
export {LB_DEFAULTS, lbConfigSchema, lbEnvName, resolveLbConfig, type LbConfig} from './lb-config.js';
export {startLb, type RunningLb} from './lb-server.js';
export {runLbProcess, type LbProcess} from './lb-process.js';
export {classifyRequest} from './retry-policy.js';
export {Balancer, type Strategy} from './balancer.js';
export {UpstreamHealth} from './upstream-health.js';
