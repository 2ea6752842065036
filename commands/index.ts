import BrokerStart from './broker/start.js';
import BrokerStop from './broker/stop.js';
import Consume from './consume.js';
import DlqList from './dlq/list.js';
import DlqRedrive from './dlq/redrive.js';
import GroupCreate from './group/create.js';
import GroupDelete from './group/delete.js';
import GroupDescribe from './group/describe.js';
import GroupList from './group/list.js';
import GroupReset from './group/reset.js';
import Produce from './produce.js';
import Status from './status.js';
import TopicCreate from './topic/create.js';
import TopicDelete from './topic/delete.js';
import TopicDescribe from './topic/describe.js';
import TopicList from './topic/list.js';
import TopicUpdate from './topic/update.js';
import Top from './top.js';

/** oclif's explicit command map: every `mq` subcommand, by id. */
export const COMMANDS = {
  'broker:start': BrokerStart,
  'broker:stop': BrokerStop,
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
  'dlq:list': DlqList,
  'dlq:redrive': DlqRedrive,
  produce: Produce,
  consume: Consume,
  status: Status,
  top: Top,
};
