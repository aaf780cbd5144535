#!/bin/bash
# The streaming replica of docker-compose.scale.yml: cloned from the primary on its first start
# (pg_basebackup through the replica1 slot, so the primary keeps the WAL it has not yet
# received), then a hot standby following it. Promote it by hand when the primary is lost:
#   docker compose -f docker-compose.scale.yml exec -u postgres pg-replica pg_ctl promote
set -euo pipefail
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  mkdir -p "$PGDATA"
  chown postgres: "$PGDATA"
  chmod 700 "$PGDATA"
  until gosu postgres env PGPASSWORD="$REPLICATION_PASSWORD" \
    pg_basebackup -h pg-primary -U replicator -D "$PGDATA" -S replica1 -R -X stream; do
    echo 'pg-replica: primary not ready, trying again in 2 s'
    find "$PGDATA" -mindepth 1 -delete
    sleep 2
  done
fi
exec gosu postgres postgres -c hot_standby=on
