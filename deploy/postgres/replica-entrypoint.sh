#!/bin/bash
# The streaming replica: on first start, clone the primary with pg_basebackup (-R writes standby.signal and
# primary_conninfo), then hand over to the postgres image's own entrypoint, which starts the server on the
# existing data folder. A replica is read-only; it follows the primary by streaming replication.
set -euo pipefail
PGDATA="${PGDATA:-/var/lib/postgresql/data}"
: "${PRIMARY_HOST:?}" "${REPLICATION_PASSWORD:?}"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  echo "replica: cloning ${PRIMARY_HOST} with pg_basebackup"
  mkdir -p "$PGDATA"
  chown postgres:postgres "$PGDATA"
  chmod 0700 "$PGDATA"
  until gosu postgres pg_isready -q -h "$PRIMARY_HOST" -d postgres; do sleep 1; done
  gosu postgres pg_basebackup \
    -d "host=${PRIMARY_HOST} user=replicator password=${REPLICATION_PASSWORD} application_name=${REPLICATION_SLOT:-replica1}" \
    -D "$PGDATA" -X stream -S "${REPLICATION_SLOT:-replica1}" -R --checkpoint=fast
fi
exec docker-entrypoint.sh "$@"
