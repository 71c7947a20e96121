#!/bin/bash
# One logical backup of the ReferralNetwork PostgreSQL database: pg_dump's custom format (one consistent snapshot,
# taken while the API serves), read back with pg_restore --list, renamed into place, its SHA-256 beside it, and only
# the newest $KEEP dumps kept. Used by the Kubernetes CronJob in this folder; runs as well from cron on any machine
# with the PostgreSQL client of the server's major version (or newer).
#
#   pg-dump.sh [directory]        directory defaults to $BACKUP_DIR, then /backups
#
# Connection: the standard libpq variables (PGHOST, PGPORT, PGDATABASE, PGUSER, PGPASSWORD or ~/.pgpass, PGSSLMODE).
# KEEP (default 14) is how many dumps stay. Exit 0 only when a new dump was written and reads back.
# Restore one:  createdb -T template0 referralnetwork_restored && pg_restore --exit-on-error --no-owner -d referralnetwork_restored <file>
# then point ConnectionStrings__ReferralNetwork at it and run `dotnet ReferralNetwork.Api.dll verify-backup` (README, "Backups and restore").
set -euo pipefail

dir="${1:-${BACKUP_DIR:-/backups}}"
keep="${KEEP:-14}"
case "$keep" in '' | *[!0-9]* | 0) echo "pg-dump.sh: KEEP must be a positive number, not '$keep'" >&2; exit 2 ;; esac
mkdir -p "$dir"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out="$dir/referralnetwork-$stamp.dump"
tmp="$out.tmp"
trap 'rm -f "$tmp"' EXIT

pg_dump --format=custom --compress=6 --no-owner --file="$tmp"
# A dump that cannot be listed would not restore either: check it before it replaces anything.
pg_restore --list "$tmp" >/dev/null
sync "$tmp" 2>/dev/null || sync
mv "$tmp" "$out"
(cd "$dir" && sha256sum "$(basename "$out")" >"$(basename "$out").sha256")
echo "pg-dump.sh: wrote $out ($(stat -c %s "$out") bytes, sha256 $(cut -d ' ' -f 1 "$out.sha256"))"

# The newest $keep dumps stay (names sort by time); older ones and their checksums go.
find "$dir" -maxdepth 1 -name 'referralnetwork-*.dump' -printf '%f\n' | sort -r | tail -n +"$((keep + 1))" |
  while IFS= read -r old; do
    rm -f "$dir/$old" "$dir/$old.sha256"
    echo "pg-dump.sh: removed $dir/$old"
  done
