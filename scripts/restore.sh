#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into an EMPTY PostgreSQL database, and its uploads
# into an instance folder.
#   scripts/restore.sh BACKUP_FOLDER TARGET_DATABASE_URL [INSTANCE_PATH]
# Then run `flask --app wsgi verify` against the target: it must say the ledger and bookings agree.
set -euo pipefail
folder="${1:?usage: scripts/restore.sh BACKUP_FOLDER TARGET_DATABASE_URL [INSTANCE_PATH]}"
url="${2:?usage: scripts/restore.sh BACKUP_FOLDER TARGET_DATABASE_URL [INSTANCE_PATH]}"
instance="${3:-${INSTANCE_PATH:-$PWD/instance}}"
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
url="${url/postgresql+psycopg:/postgresql:}"
[ -f "$folder/database.dump" ] || { echo "restore: $folder/database.dump is missing" >&2; exit 2; }

"$PG_BIN/pg_restore" --no-owner --exit-on-error --single-transaction --dbname="$url" \
    "$folder/database.dump"
mkdir -p "$instance"
tar -xzf "$folder/uploads.tar.gz" -C "$instance"
echo "restored $folder into the database and $instance"
