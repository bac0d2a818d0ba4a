#!/bin/bash
# Run once by the postgres image when it creates the primary's data folder: the role and the slot the streaming
# replica connects with, and the pg_hba line that lets it (the image's own lines do not cover replication).
set -euo pipefail
: "${REPLICATION_PASSWORD:?set REPLICATION_PASSWORD}"
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" -v pw="$REPLICATION_PASSWORD" <<'SQL'
CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD :'pw';
-- A slot keeps the WAL the replica has not received yet, so a replica that was down catches up instead of
-- needing a new base backup. Watch pg_replication_slots: a replica gone for good must have its slot dropped.
SELECT pg_create_physical_replication_slot('replica1');
SQL
echo "host replication replicator all scram-sha-256" >> "$PGDATA/pg_hba.conf"
