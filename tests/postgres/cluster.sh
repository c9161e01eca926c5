#!/bin/sh
# A throwaway PostgreSQL 15 cluster for the tests: `cluster.sh start DIR` makes one in DIR
# (initdb as an unprivileged user, trust authentication, reachable only through a Unix socket
# in DIR, so no port is taken and nothing outside can connect) and writes its address to
# DIR/url; `cluster.sh stop DIR` stops it and removes DIR. Tests make their own databases in it.
# `pause DIR` and `resume DIR` stop and start it again with its data, as an outage would.
set -eu

action=${1:?usage: cluster.sh start|stop|pause|resume DIR}
dir=${2:?usage: cluster.sh start|stop DIR}
bin=/usr/lib/postgresql/15/bin
if [ ! -x "$bin/initdb" ]; then
  echo "cluster.sh: PostgreSQL 15 is not installed ($bin/initdb); make deps installs postgresql-15" >&2
  exit 1
fi

# initdb refuses to run as root: as root, the cluster belongs to Debian's postgres account.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# fsync off by default: the tests kill Broadsheet, never this server, and speed matters more
# there; benchmarks ask for real commits with CLUSTER_FSYNC=on.
run_server() {
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses='' -c unix_socket_directories='$dir' -c fsync=${CLUSTER_FSYNC:-off} -c max_connections=300" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
}

case "$action" in
start)
  if [ -f "$dir/data/postmaster.pid" ]; then as_owner "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true; fi
  rm -rf "$dir"
  mkdir -p "$dir"
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
  as_owner "$bin/initdb" -D "$dir/data" -U broadsheet --auth=trust -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
  run_server
  echo "postgresql://broadsheet@/postgres?host=$dir" >"$dir/url"
  echo "PostgreSQL test cluster ready: $(cat "$dir/url")"
  ;;
stop)
  if [ -f "$dir/data/postmaster.pid" ]; then as_owner "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null || true; fi
  rm -rf "$dir"
  ;;
pause)
  # An outage: the server goes away (its connections cut), the data stays for `resume`.
  as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
  ;;
resume)
  run_server
  ;;
*)
  echo "usage: cluster.sh start|stop|pause|resume DIR" >&2
  exit 2
  ;;
esac
