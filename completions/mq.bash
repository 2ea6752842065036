# bash completion for mq.
# Generated from commands/index.ts by `npm run completions`; do not edit by hand.
# Use: source it from ~/.bashrc (`source /path/to/completions/mq.bash`), or copy it to
# /etc/bash_completion.d/mq (or ~/.local/share/bash-completion/completions/mq).

_mq() {
  local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}
  [[ $prev == "=" && $COMP_CWORD -ge 2 ]] && prev=${COMP_WORDS[COMP_CWORD-2]}
  [[ $cur == "=" ]] && cur=""
  # the command id so far: leading words that name a topic or command ("broker start" -> broker:start)
  local id="" w i
  for ((i = 1; i < COMP_CWORD; i++)); do
    w=${COMP_WORDS[i]}
    case " broker dlq group topic broker:start broker:stop consume dlq:list dlq:redrive group:create group:delete group:describe group:list group:reset produce status top topic:create topic:delete topic:describe topic:list topic:update " in
      *" ${id:+$id:}$w "*) id=${id:+$id:}$w ;;
      *) break ;;
    esac
  done
  local words=""
  case $id in
    "") words="broker dlq group topic consume produce status top --help --version" ;;
    broker) words="start stop --help" ;;
    dlq) words="list redrive --help" ;;
    group) words="create delete describe list reset --help" ;;
    topic) words="create delete describe list update --help" ;;
    broker:start)
      case $prev in
        --data-dir) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --listen) return ;;
        --advertise) return ;;
        --node-id) return ;;
        --peer-listen) return ;;
        --peer-advertise) return ;;
        --bootstrap) return ;;
        --cluster-secret-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --pid-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --ready-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --log-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --log-level) COMPREPLY=($(compgen -W "fatal error warn info debug trace silent" -- "$cur")); return ;;
        --dedup-window) return ;;
        --cors-origin) return ;;
        --config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
      esac
      words="--data-dir --in-memory --listen --advertise --node-id --peer-listen --peer-advertise --bootstrap --cluster-secret-file --detach --pid-file --ready-file --log-file --log-level --auto-create-topics --no-auto-create-topics --dedup-window --cors-origin --config --unsafe-no-fsync --json --help" ;;
    broker:stop)
      case $prev in
        --pid-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --data-dir) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --timeout) return ;;
      esac
      words="--pid-file --data-dir --timeout --json --help" ;;
    consume)
      case $prev in
        --from) return ;;
        --partition|-p) return ;;
        --max|-n) return ;;
        --timeout) return ;;
        --group|-g) return ;;
        --exec) return ;;
        --concurrency) return ;;
        --nack-delay) return ;;
        --url) return ;;
        --token) return ;;
      esac
      words="--from --partition --max --timeout --follow --group --queue --exec --concurrency --nack-delay --url --token --json --help" ;;
    dlq:list)
      case $prev in
        --dead-letter) return ;;
        --max) return ;;
        --url) return ;;
        --token) return ;;
      esac
      words="--dead-letter --max --url --token --json --help" ;;
    dlq:redrive)
      case $prev in
        --max) return ;;
        --dead-letter) return ;;
        --url) return ;;
        --token) return ;;
      esac
      words="--max --dead-letter --url --token --json --help" ;;
    group:create)
      case $prev in
        --topic|-t) return ;;
        --mode) COMPREPLY=($(compgen -W "stream queue" -- "$cur")); return ;;
        --lease) return ;;
        --max-deliveries) return ;;
        --dead-letter) return ;;
        --from) COMPREPLY=($(compgen -W "earliest latest" -- "$cur")); return ;;
        --session-timeout) return ;;
        --url) return ;;
        --token) return ;;
      esac
      words="--topic --mode --lease --max-deliveries --dead-letter --from --session-timeout --url --token --json --help" ;;
    group:delete)
      case $prev in
        --url) return ;;
        --token) return ;;
      esac
      words="--url --token --json --help" ;;
    group:describe)
      case $prev in
        --url) return ;;
        --token) return ;;
      esac
      words="--url --token --json --help" ;;
    group:list)
      case $prev in
        --url) return ;;
        --token) return ;;
      esac
      words="--url --token --json --help" ;;
    group:reset)
      case $prev in
        --to) return ;;
        --topic) return ;;
        --partition) return ;;
        --url) return ;;
        --token) return ;;
      esac
      words="--to --topic --partition --url --token --json --help" ;;
    produce)
      case $prev in
        --key|-k) return ;;
        --partition) return ;;
        --header|-H) return ;;
        --priority) return ;;
        --id) return ;;
        --producer) return ;;
        --acks) COMPREPLY=($(compgen -W "all leader 0" -- "$cur")); return ;;
        --order) return ;;
        --wait) COMPREPLY=($(compgen -W "processed" -- "$cur")); return ;;
        --timeout) return ;;
        --url) return ;;
        --token) return ;;
      esac
      words="--key --partition --header --priority --id --producer --acks --text --envelope --order --wait --timeout --url --token --json --help" ;;
    status)
      case $prev in
        --url) return ;;
        --token) return ;;
        --interval) return ;;
        --timeout) return ;;
      esac
      words="--url --token --json --watch --interval --exit-when-healthy --timeout --internal --help" ;;
    top)
      case $prev in
        --url) return ;;
        --token) return ;;
        --interval) return ;;
      esac
      words="--url --token --interval --help" ;;
    topic:create)
      case $prev in
        --partitions|-p) return ;;
        --replication-factor) return ;;
        --retention-messages) return ;;
        --retention-bytes) return ;;
        --retention-age) return ;;
        --dedup-window) return ;;
        --url) return ;;
        --token) return ;;
      esac
      words="--partitions --replication-factor --retention-messages --retention-bytes --retention-age --dedup-window --retention-until-acked --no-retention-until-acked --url --token --json --help" ;;
    topic:delete)
      case $prev in
        --url) return ;;
        --token) return ;;
      esac
      words="--url --token --json --help" ;;
    topic:describe)
      case $prev in
        --url) return ;;
        --token) return ;;
      esac
      words="--url --token --json --help" ;;
    topic:list)
      case $prev in
        --url) return ;;
        --token) return ;;
      esac
      words="--url --token --json --help" ;;
    topic:update)
      case $prev in
        --partitions|-p) return ;;
        --retention-messages) return ;;
        --retention-bytes) return ;;
        --retention-age) return ;;
        --dedup-window) return ;;
        --url) return ;;
        --token) return ;;
      esac
      words="--partitions --retention-messages --retention-bytes --retention-age --dedup-window --retention-until-acked --no-retention-until-acked --url --token --json --help" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}

complete -o default -F _mq mq
