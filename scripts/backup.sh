#!/usr/bin/env bash
# Back up the service: the PostgreSQL database (pg_dump, custom format) and the uploaded
# documents (instance/uploads), into a new folder named for the moment.
#   scripts/backup.sh DEST_DIR        → DEST_DIR/marketplace-YYYYmmddTHHMMSSZ/{database.dump,uploads.tar.gz}
# Reads DATABASE_URL (postgresql://…) and INSTANCE_PATH (default ./instance). Prints the folder.
# Restore with scripts/restore.sh. Run it from a timer; keep copies off the machine.
set -euo pipefail
dest_root="${1:?usage: scripts/backup.sh DEST_DIR}"
PG_BIN=${PG_BIN:-/usr/lib/postgresql/15/bin}
url="${DATABASE_URL:?DATABASE_URL must be set to the PostgreSQL database to back up}"
case "$url" in
    postgresql*|postgres:*) ;;
    *) echo "backup: DATABASE_URL is not PostgreSQL; copy the SQLite file instead" >&2; exit 2 ;;
esac
url="${url/postgresql+psycopg:/postgresql:}"
instance="${INSTANCE_PATH:-$PWD/instance}"

folder="$dest_root/marketplace-$(date -u +%Y%m%dT%H%M%SZ)"
mkdir -p "$folder.partial"
"$PG_BIN/pg_dump" --format=custom --no-owner --file="$folder.partial/database.dump" "$url"
if [ -d "$instance/uploads" ]; then
    tar -czf "$folder.partial/uploads.tar.gz" -C "$instance" uploads
else
    tar -czf "$folder.partial/uploads.tar.gz" --files-from=/dev/null
fi
# Only a whole backup gets its final name.
mv "$folder.partial" "$folder"
echo "$folder"
