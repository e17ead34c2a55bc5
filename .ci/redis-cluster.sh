#!/bin/sh
# redis-cluster.sh start|stop|status — a throwaway 3-node Redis Cluster on
# 127.0.0.1:7101-7103 for the integration tests (no persistence, no replicas).
#
#   .ci/redis-cluster.sh start
#   FRAUDNAVI_TEST_REDIS_CLUSTER=127.0.0.1:7101,127.0.0.1:7102,127.0.0.1:7103 go test ./...
#   .ci/redis-cluster.sh stop
#
# start is idempotent: a cluster that is already up is left alone.
# Needs redis-server and redis-cli (7.x) on PATH.
set -eu

PORTS="7101 7102 7103"
HOST=127.0.0.1
DIR=${REDIS_CLUSTER_DIR:-${TMPDIR:-/tmp}/fraudnavi-redis-cluster}

cluster_ok() {
	redis-cli -h "$HOST" -p "$1" cluster info 2>/dev/null | grep -q '^cluster_state:ok'
}

running() {
	redis-cli -h "$HOST" -p "$1" ping >/dev/null 2>&1
}

start() {
	all_ok=1
	for p in $PORTS; do
		cluster_ok "$p" || all_ok=0
	done
	if [ "$all_ok" = 1 ]; then
		echo "redis cluster already running on $HOST:$(echo $PORTS | tr ' ' ',')"
		return 0
	fi

	mkdir -p "$DIR"
	for p in $PORTS; do
		if running "$p"; then
			continue
		fi
		mkdir -p "$DIR/$p"
		# nodes.conf is the node's cluster identity: start from a clean one,
		# or a node would remember a cluster that no longer exists.
		rm -f "$DIR/$p/nodes.conf" "$DIR/$p/dump.rdb"
		redis-server --port "$p" --bind "$HOST" \
			--cluster-enabled yes \
			--cluster-config-file "$DIR/$p/nodes.conf" \
			--cluster-node-timeout 5000 \
			--dir "$DIR/$p" \
			--save "" --appendonly no \
			--daemonize yes \
			--pidfile "$DIR/$p/redis.pid" \
			--logfile "$DIR/$p/redis.log"
	done
	for p in $PORTS; do
		i=0
		until running "$p"; do
			i=$((i + 1))
			[ "$i" -le 50 ] || { echo "redis on port $p did not start; see $DIR/$p/redis.log" >&2; exit 1; }
			sleep 0.1
		done
	done

	# Slots are only assigned once; a node that already has some (a cluster
	# that is merely converging) is waited for instead.
	assigned=$(redis-cli -h "$HOST" -p 7101 cluster info | tr -d '\r' | sed -n 's/^cluster_slots_assigned://p')
	if [ "${assigned:-0}" = 0 ]; then
		nodes=""
		for p in $PORTS; do
			nodes="$nodes $HOST:$p"
		done
		# shellcheck disable=SC2086 # one argument per node
		redis-cli --cluster create $nodes --cluster-replicas 0 --cluster-yes >"$DIR/create.log" 2>&1 ||
			{ cat "$DIR/create.log" >&2; exit 1; }
	fi

	for p in $PORTS; do
		i=0
		until cluster_ok "$p"; do
			i=$((i + 1))
			[ "$i" -le 300 ] || { echo "cluster not ok on port $p after 30s" >&2; exit 1; }
			sleep 0.1
		done
	done
	echo "redis cluster running on $HOST:$(echo $PORTS | tr ' ' ',')"
}

stop() {
	for p in $PORTS; do
		if running "$p"; then
			redis-cli -h "$HOST" -p "$p" shutdown nosave >/dev/null 2>&1 || true
		fi
	done
	for p in $PORTS; do
		i=0
		while running "$p"; do
			i=$((i + 1))
			[ "$i" -le 50 ] || { echo "redis on port $p did not stop" >&2; exit 1; }
			sleep 0.1
		done
	done
	rm -rf "$DIR"
	echo "redis cluster stopped"
}

status() {
	for p in $PORTS; do
		if cluster_ok "$p"; then
			echo "$HOST:$p cluster_state:ok"
		elif running "$p"; then
			echo "$HOST:$p running, cluster not ok"
		else
			echo "$HOST:$p down"
		fi
	done
}

case "${1:-}" in
start) start ;;
stop) stop ;;
status) status ;;
*)
	echo "usage: $0 start|stop|status" >&2
	exit 2
	;;
esac
