import Bench from './bench.js';
import CertDev from './cert/dev.js';
import BrokerStart from './broker/start.js';
import BrokerStop from './broker/stop.js';
import ClusterRebalance from './cluster/rebalance.js';
import ClusterRemove from './cluster/remove.js';
import ClusterStatus from './cluster/status.js';
import Consume from './consume.js';
import ContextAdd from './context/add.js';
import ContextList from './context/list.js';
import ContextRemove from './context/remove.js';
import ContextUse from './context/use.js';
import Down from './down.js';
import DlqList from './dlq/list.js';
import DlqRedrive from './dlq/redrive.js';
import GroupCreate from './group/create.js';
import GroupDelete from './group/delete.js';
import GroupDescribe from './group/describe.js';
import GroupList from './group/list.js';
import GroupReset from './group/reset.js';
import Lb from './lb.js';
import Produce from './produce.js';
import Status from './status.js';
import TopicCreate from './topic/create.js';
import TopicDelete from './topic/delete.js';
import TopicDescribe from './topic/describe.js';
import TopicList from './topic/list.js';
import TopicUpdate from './topic/update.js';
import Up from './up.js';
import Top from './top.js';
import Backup from './backup.js';
import Restore from './restore.js';
import TokenCreate from './token/create.js';
import TokenEphemeral from './token/ephemeral.js';
import TokenList from './token/list.js';
import TokenRevoke from './token/revoke.js';

/** oclif's explicit command map: every `mq` subcommand, by id. */
export const COMMANDS = {
  'broker:start': BrokerStart,
  'broker:stop': BrokerStop,
  'cert:dev': CertDev,
  'cluster:status': ClusterStatus,
  'cluster:remove': ClusterRemove,
  'cluster:rebalance': ClusterRebalance,
  'topic:create': TopicCreate,
  'topic:list': TopicList,
  'topic:describe': TopicDescribe,
  'topic:update': TopicUpdate,
  'topic:delete': TopicDelete,
  'group:create': GroupCreate,
  'group:list': GroupList,
  'group:describe': GroupDescribe,
  'group:reset': GroupReset,
  'group:delete': GroupDelete,
  'token:create': TokenCreate,
  'token:list': TokenList,
  'token:revoke': TokenRevoke,
  'token:ephemeral': TokenEphemeral,
  'dlq:list': DlqList,
  'dlq:redrive': DlqRedrive,
  produce: Produce,
  consume: Consume,
  status: Status,
  top: Top,
  backup: Backup,
  restore: Restore,
  lb: Lb,
  bench: Bench,
  up: Up,
  down: Down,
  'context:add': ContextAdd,
  'context:list': ContextList,
  'context:use': ContextUse,
  'context:remove': ContextRemove,
};
