#!/usr/bin/env bash
# A cluster to try farmtally's cluster engine on, and for its tests: two ClickHouse shards
# (Debian's clickhouse-server) and a scratch PostgreSQL, on loopback, data in one folder.
#
#   scripts/cluster.sh start [DIR]   start them (DIR: a new temporary folder if not given);
#                                    prints the variables to export, and DIR
#   scripts/cluster.sh stop DIR      stop them and delete DIR
#   scripts/cluster.sh stop-shard DIR N / start-shard DIR N   one shard (tests of a shard down)
#   scripts/cluster.sh stop-postgres DIR / start-postgres DIR  PostgreSQL (tests of the state down)
#
# Ports: shard N answers HTTP on 1813N and the native protocol on 1900N (cluster
# `farmtally`); PostgreSQL on 15432, user postgres with no password (trust, fsync off:
# for tests and trials only). As root the servers run as the `clickhouse` and `postgres` users.
# Needs: apt-get install clickhouse-server clickhouse-client postgresql (Debian 12: ClickHouse 18.16, PostgreSQL 15).
set -euo pipefail

# FARMTALLY_CLUSTER_PORT_OFFSET moves every port by that much (a second cluster beside the first).
OFF=${FARMTALLY_CLUSTER_PORT_OFFSET:-0}
PG_BIN=/usr/lib/postgresql/15/bin
PG_PORT=$((15432 + OFF))
as() { if [ "$(id -u)" = 0 ]; then runuser -u "$1" -- "${@:2}"; else "${@:2}"; fi; }

shard_config() { # DIR N: the shard's folders and config, from Debian's, with its own ports and paths
  local d=$1/s$2 http=$((18130 + OFF + $2)) tcp=$((19000 + OFF + $2)) inter=$((19010 + OFF + $2)) src=/etc/clickhouse-server
  mkdir -p "$d"/{data,tmp,log,user_files,format_schemas}
  perl -0pe 's#<ip>::/0</ip>#<ip>127.0.0.1</ip>#' "$src/users.xml" >"$d/users.xml"
  CLUSTER_XML="<remote_servers><farmtally>
      <shard><replica><host>127.0.0.1</host><port>$((19001 + OFF))</port></replica></shard>
      <shard><replica><host>127.0.0.1</host><port>$((19002 + OFF))</port></replica></shard>
    </farmtally></remote_servers>" perl -0pe "
    s#/var/log/clickhouse-server/clickhouse-server(\.err)?\.log#$d/log/server\$1.log#g;
    s#<http_port>8123</http_port>#<http_port>$http</http_port>#;
    s#<tcp_port>9000</tcp_port>#<tcp_port>$tcp</tcp_port>#;
    s#<interserver_http_port>9009</interserver_http_port>#<interserver_http_port>$inter</interserver_http_port><interserver_http_host>127.0.0.1</interserver_http_host><listen_host>127.0.0.1</listen_host>#;
    s#/var/lib/clickhouse/tmp/#$d/tmp/#; s#/var/lib/clickhouse/user_files/#$d/user_files/#;
    s#/var/lib/clickhouse/format_schemas/#$d/format_schemas/#; s#/var/lib/clickhouse/#$d/data/#;
    s#<remote_servers incl=\"clickhouse_remote_servers\" >.*?</remote_servers>#\$ENV{CLUSTER_XML}#s;
  " "$src/config.xml" >"$d/config.xml"
  if grep -q -E '/var/(lib|log)/clickhouse|<http_port>8123|<tcp_port>9000' "$d/config.xml"; then
    echo "could not adapt $src/config.xml for shard $2" >&2
    exit 1
  fi
  [ "$(id -u)" = 0 ] && chown -R clickhouse: "$d"
  return 0
}

start_shard() { # DIR N
  [ -f "$1/s$2/config.xml" ] || shard_config "$1" "$2"
  as clickhouse /usr/sbin/clickhouse-server --config-file="$1/s$2/config.xml" --pid-file="$1/s$2/clickhouse.pid" --daemon
  for _ in $(seq 1 600); do
    [ "$(curl -sf "http://127.0.0.1:$((18130 + OFF + $2))/?query=SELECT%201" 2>/dev/null)" = 1 ] && return 0
    sleep 0.05
  done
  echo "shard $2 did not answer within 30 s; see $1/s$2/log" >&2
  exit 1
}

stop_shard() { # DIR N: kill -9, as a machine failing would
  local pid
  pid=$(cat "$1/s$2/clickhouse.pid" 2>/dev/null || true)
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null || true
  rm -f "$1/s$2/clickhouse.pid"
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$((18130 + OFF + $2))/?query=SELECT%201" >/dev/null 2>&1 || return 0; sleep 0.05; done
}

start_pg() { # DIR
  as postgres $PG_BIN/pg_ctl -D "$1/pg/data" -l "$1/pg/server.log" -w \
    -o "-p $PG_PORT -k $1/pg -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" start >/dev/null
}

stop_pg() { # DIR: immediate, as a machine failing would (no checkpoint; recovery on the next start)
  [ -d "$1/pg/data" ] && as postgres $PG_BIN/pg_ctl -D "$1/pg/data" -m immediate -w stop >/dev/null 2>&1 || true
}

case "${1:-}" in
  start)
    command -v clickhouse-server >/dev/null || { echo "clickhouse-server is not installed: apt-get install clickhouse-server clickhouse-client postgresql" >&2; exit 1; }
    [ -x $PG_BIN/initdb ] || { echo "PostgreSQL 15 is not installed: apt-get install postgresql" >&2; exit 1; }
    DIR=${2:-$(mktemp -d -t farmtally-cluster.XXXXXX)}
    mkdir -p "$DIR" && chmod 755 "$DIR"
    start_shard "$DIR" 1
    start_shard "$DIR" 2
    mkdir -p "$DIR/pg"
    [ "$(id -u)" = 0 ] && chown postgres: "$DIR/pg"
    as postgres $PG_BIN/initdb -D "$DIR/pg/data" -U postgres -A trust -E UTF8 --no-sync --no-instructions >"$DIR/pg/initdb.log"
    start_pg "$DIR"
    echo "FARMTALLY_CLUSTER_DIR=$DIR"
    echo "FARMTALLY_TEST_CLICKHOUSE=http://127.0.0.1:$((18131 + OFF)),http://127.0.0.1:$((18132 + OFF))"
    echo "FARMTALLY_TEST_POSTGRES=postgres://postgres@127.0.0.1:$PG_PORT/postgres"
    ;;
  stop)
    DIR=${2:?which folder: scripts/cluster.sh stop DIR}
    stop_shard "$DIR" 1
    stop_shard "$DIR" 2
    stop_pg "$DIR"
    rm -rf "$DIR"
    ;;
  stop-shard) stop_shard "${2:?DIR}" "${3:?shard number}" ;;
  start-shard) start_shard "${2:?DIR}" "${3:?shard number}" ;;
  stop-postgres) stop_pg "${2:?DIR}" ;;
  start-postgres) start_pg "${2:?DIR}" ;;
  *)
    sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
    exit 2
    ;;
esac
