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
    case " broker cert cluster context dlq group token topic backup bench broker:start broker:stop cert:dev cluster:rebalance cluster:remove cluster:status consume context:add context:list context:remove context:use dlq:list dlq:redrive down group:create group:delete group:describe group:list group:reset lb produce restore status token:create token:ephemeral token:list token:revoke top topic:create topic:delete topic:describe topic:list topic:update up " in
      *" ${id:+$id:}$w "*) id=${id:+$id:}$w ;;
      *) break ;;
    esac
  done
  local words=""
  case $id in
    "") words="broker cert cluster context dlq group token topic backup bench consume down lb produce restore status top up --help --version" ;;
    broker) words="start stop --help" ;;
    cert) words="dev --help" ;;
    cluster) words="rebalance remove status --help" ;;
    context) words="add list remove use --help" ;;
    dlq) words="list redrive --help" ;;
    group) words="create delete describe list reset --help" ;;
    token) words="create ephemeral list revoke --help" ;;
    topic) words="create delete describe list update --help" ;;
    backup)
      case $prev in
        --data-dir) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --to) return ;;
      esac
      words="--data-dir --to --json --help" ;;
    bench)
      case $prev in
        --size|-s) return ;;
        --messages|-n) return ;;
        --duration|-d) return ;;
        --producers|-p) return ;;
        --consumers|-c) return ;;
        --batch|-b) return ;;
        --fetch-max) return ;;
        --acks) COMPREPLY=($(compgen -W "all leader 0" -- "$cur")); return ;;
        --partitions) return ;;
        --keys) return ;;
        --rate) return ;;
        --consume-mode) COMPREPLY=($(compgen -W "offset group" -- "$cur")); return ;;
        --latency-count) return ;;
        --kills) return ;;
        --url) return ;;
        --token) return ;;
        --ca) return ;;
        --context) return ;;
      esac
      words="--size --messages --duration --producers --consumers --batch --fetch-max --acks --partitions --keys --rate --consume-mode --latency-count --kills --csv --url --token --ca --context --json --help" ;;
    broker:start)
      case $prev in
        --data-dir) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --listen) return ;;
        --advertise) return ;;
        --node-id) return ;;
        --peer-listen) return ;;
        --peer-advertise) return ;;
        --bootstrap) return ;;
        --join) return ;;
        --replace-after) return ;;
        --tls-cert) return ;;
        --tls-key) return ;;
        --peer-tls-cert) return ;;
        --peer-tls-key) return ;;
        --peer-tls-ca) return ;;
        --admin-token-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --public-status) COMPREPLY=($(compgen -W "auto always never" -- "$cur")); return ;;
        --ephemeral-ttl-max) return ;;
        --anonymous-rate) return ;;
        --anonymous-bytes-rate) return ;;
        --cluster-secret-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --disk-low) return ;;
        --disk-reserve) return ;;
        --pid-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --ready-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --log-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --log-level) COMPREPLY=($(compgen -W "fatal error warn info debug trace silent" -- "$cur")); return ;;
        --dedup-window) return ;;
        --cors-origin) return ;;
        --config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
      esac
      words="--data-dir --in-memory --listen --advertise --node-id --peer-listen --peer-advertise --bootstrap --join --replace-after --tls-cert --tls-key --peer-tls-cert --peer-tls-key --peer-tls-ca --auth --admin-token-file --insecure --public-status --ephemeral-ttl-max --anonymous-rate --anonymous-bytes-rate --cluster-secret-file --disk-low --disk-reserve --detach --pid-file --ready-file --log-file --log-level --auto-create-topics --no-auto-create-topics --dedup-window --cors-origin --config --unsafe-no-fsync --json --help" ;;
    broker:stop)
      case $prev in
        --pid-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --data-dir) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --timeout) return ;;
      esac
      words="--pid-file --data-dir --timeout --json --help" ;;
    cert:dev)
      case $prev in
        --out) return ;;
        --hosts) return ;;
      esac
      words="--out --hosts --force --json --help" ;;
    cluster:rebalance)
      case $prev in
        --url) return ;;
        --token) return ;;
        --ca) return ;;
        --context) return ;;
      esac
      words="--url --token --ca --context --json --help" ;;
    cluster:remove)
      case $prev in
        --url) return ;;
        --token) return ;;
        --ca) return ;;
        --context) return ;;
        --timeout) return ;;
      esac
      words="--url --token --ca --context --json --wait --no-wait --timeout --help" ;;
    cluster:status)
      case $prev in
        --url) return ;;
        --token) return ;;
        --ca) return ;;
        --context) return ;;
      esac
      words="--url --token --ca --context --json --help" ;;
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
        --ca) return ;;
        --context) return ;;
      esac
      words="--from --partition --max --timeout --follow --group --queue --exec --concurrency --nack-delay --url --token --ca --context --json --help" ;;
    context:add)
      case $prev in
        --url) return ;;
        --token) return ;;
        --ca) return ;;
      esac
      words="--url --token --ca --use --json --help" ;;
    context:list)
      case $prev in
        --url) return ;;
        --token) return ;;
        --ca) return ;;
        --context) return ;;
      esac
      words="--url --token --ca --context --json --help" ;;
    context:remove)
      words="--json --help" ;;
    context:use)
      words="--json --help" ;;
    dlq:list)
      case $prev in
        --dead-letter) return ;;
        --max) return ;;
        --url) return ;;
        --token) return ;;
        --ca) return ;;
        --context) return ;;
      esac
      words="--dead-letter --max --url --token --ca --context --json --help" ;;
    dlq:redrive)
      case $prev in
        --max) return ;;
        --dead-letter) return ;;
        --url) return ;;
        --token) return ;;
        --ca) return ;;
        --context) return ;;
      esac
      words="--max --dead-letter --url --token --ca --context --json --help" ;;
    down)
      case $prev in
        --data-dir) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --timeout) return ;;
      esac
      words="--data-dir --purge --timeout --json --help" ;;
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
        --ca) return ;;
        --context) return ;;
      esac
      words="--topic --mode --lease --max-deliveries --dead-letter --from --session-timeout --url --token --ca --context --json --help" ;;
    group:delete)
      case $prev in
        --url) return ;;
        --token) return ;;
        --ca) return ;;
        --context) return ;;
      esac
      words="--url --token --ca --context --json --help" ;;
    group:describe)
      case $prev in
        --url) return ;;
        --token) return ;;
        --ca) return ;;
        --context) return ;;
      esac
      words="--url --token --ca --context --json --help" ;;
    group:list)
      case $prev in
        --url) return ;;
        --token) return ;;
        --ca) return ;;
        --context) return ;;
      esac
      words="--url --token --ca --context --json --help" ;;
    group:reset)
      case $prev in
        --to) return ;;
        --topic) return ;;
        --partition) return ;;
        --url) return ;;
        --token) return ;;
        --ca) return ;;
        --context) return ;;
      esac
      words="--to --topic --partition --url --token --ca --context --json --help" ;;
    lb)
      case $prev in
        --listen) return ;;
        --advertise) return ;;
        --upstream) return ;;
        --discover) return ;;
        --strategy) COMPREPLY=($(compgen -W "round-robin least-in-flight" -- "$cur")); return ;;
        --health-interval) return ;;
        --health-timeout) return ;;
        --rise) return ;;
        --fall) return ;;
        --max-fails) return ;;
        --fail-timeout) return ;;
        --retries) return ;;
        --tls-cert) return ;;
        --tls-key) return ;;
        --ca) return ;;
        --drain-timeout) return ;;
        --config) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --ready-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --pid-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --log-file) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --log-level) COMPREPLY=($(compgen -W "fatal error warn info debug trace silent" -- "$cur")); return ;;
      esac
      words="--listen --advertise --upstream --discover --strategy --health-interval --health-timeout --rise --fall --max-fails --fail-timeout --retries --tls-cert --tls-key --ca --drain-timeout --config --detach --ready-file --pid-file --log-file --log-level --json --help" ;;
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
        --ca) return ;;
        --context) return ;;
      esac
      words="--key --partition --header --priority --id --producer --acks --text --envelope --order --wait --timeout --url --token --ca --context --json --help" ;;
    restore)
      case $prev in
        --from) return ;;
        --data-dir) COMPREPLY=($(compgen -f -- "$cur")); return ;;
      esac
      words="--from --data-dir --json --help" ;;
    status)
      case $prev in
        --url) return ;;
        --token) return ;;
        --ca) return ;;
        --context) return ;;
        --interval) return ;;
        --timeout) return ;;
      esac
      words="--url --token --ca --context --json --watch --interval --exit-when-healthy --timeout --internal --help" ;;
    token:create)
      case $prev in
        --url) return ;;
        --token) return ;;
        --ca) return ;;
        --context) return ;;
        --name) return ;;
        --grant) return ;;
        --rate) return ;;
        --bytes-rate) return ;;
      esac
      words="--url --token --ca --context --json --name --grant --rate --bytes-rate --help" ;;
    token:ephemeral)
      case $prev in
        --url) return ;;
        --token) return ;;
        --ca) return ;;
        --context) return ;;
        --topic) return ;;
        --key) return ;;
        --ttl) return ;;
      esac
      words="--url --token --ca --context --json --topic --key --ttl --help" ;;
    token:list)
      case $prev in
        --url) return ;;
        --token) return ;;
        --ca) return ;;
        --context) return ;;
      esac
      words="--url --token --ca --context --json --help" ;;
    token:revoke)
      case $prev in
        --url) return ;;
        --token) return ;;
        --ca) return ;;
        --context) return ;;
      esac
      words="--url --token --ca --context --json --help" ;;
    top)
      case $prev in
        --url) return ;;
        --token) return ;;
        --ca) return ;;
        --context) return ;;
        --interval) return ;;
      esac
      words="--url --token --ca --context --interval --help" ;;
    topic:create)
      case $prev in
        --partitions|-p) return ;;
        --replication-factor) return ;;
        --retention-messages) return ;;
        --retention-bytes) return ;;
        --retention-age) return ;;
        --dedup-window) return ;;
        --autoscale-max-partitions) return ;;
        --autoscale-high-water) return ;;
        --autoscale-max-load) return ;;
        --autoscale-idle-after) return ;;
        --autoscale-check-interval) return ;;
        --autoscale-partition-memory) return ;;
        --autoscale-partition-cpu) return ;;
        --url) return ;;
        --token) return ;;
        --ca) return ;;
        --context) return ;;
      esac
      words="--partitions --replication-factor --retention-messages --retention-bytes --retention-age --dedup-window --retention-until-acked --no-retention-until-acked --autoscale-max-partitions --autoscale-high-water --autoscale-max-load --autoscale-idle-after --autoscale-check-interval --autoscale-partition-memory --autoscale-partition-cpu --url --token --ca --context --json --help" ;;
    topic:delete)
      case $prev in
        --url) return ;;
        --token) return ;;
        --ca) return ;;
        --context) return ;;
      esac
      words="--url --token --ca --context --json --help" ;;
    topic:describe)
      case $prev in
        --url) return ;;
        --token) return ;;
        --ca) return ;;
        --context) return ;;
      esac
      words="--url --token --ca --context --json --help" ;;
    topic:list)
      case $prev in
        --url) return ;;
        --token) return ;;
        --ca) return ;;
        --context) return ;;
      esac
      words="--url --token --ca --context --json --help" ;;
    topic:update)
      case $prev in
        --partitions|-p) return ;;
        --retention-messages) return ;;
        --retention-bytes) return ;;
        --retention-age) return ;;
        --dedup-window) return ;;
        --autoscale-max-partitions) return ;;
        --autoscale-high-water) return ;;
        --autoscale-max-load) return ;;
        --autoscale-idle-after) return ;;
        --autoscale-check-interval) return ;;
        --autoscale-partition-memory) return ;;
        --autoscale-partition-cpu) return ;;
        --url) return ;;
        --token) return ;;
        --ca) return ;;
        --context) return ;;
      esac
      words="--partitions --retention-messages --retention-bytes --retention-age --dedup-window --retention-until-acked --no-retention-until-acked --autoscale-max-partitions --autoscale-high-water --autoscale-max-load --autoscale-idle-after --autoscale-check-interval --autoscale-partition-memory --autoscale-partition-cpu --autoscale --no-autoscale --url --token --ca --context --json --help" ;;
    up)
      case $prev in
        --brokers) return ;;
        --data-dir) COMPREPLY=($(compgen -f -- "$cur")); return ;;
        --name) return ;;
        --timeout) return ;;
      esac
      words="--brokers --lb --data-dir --detach --restart --no-restart --name --timeout --json --help" ;;
  esac
  COMPREPLY=($(compgen -W "$words" -- "$cur"))
}

complete -o default -F _mq mq
