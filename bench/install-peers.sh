#!/bin/sh
# The peers bench/compare.ts measures mq against, from Debian's packages. Where systemd runs, the packages start their own
# services on the default ports: compare.ts never uses or stops those; it starts its own on 127.0.0.1 and stops only them.
set -e
apt-get update
apt-get install -y redis-server redis-tools nats-server
