#!/usr/bin/env bash
# Nightly backup of the hotline bot's PostgreSQL database (several instances).
#   backup-postgres.sh            run by hotline-backup.service as the postgres user
# pg_dump takes a consistent snapshot while the bot runs. Custom format: compressed, and
# pg_restore can restore all of it or single tables.
# Restore (stop every instance first: systemctl stop 'hotline-bot@*'):
#   sudo -u postgres dropdb hotline && sudo -u postgres createdb -O hotline hotline
#   sudo -u postgres pg_restore -d hotline /var/backups/hotline/hotline-YYYYMMDD-HHMMSS.dump
# The privacy keys are not in this backup, on purpose: keep them apart (see README, Deployment).
set -euo pipefail

# shellcheck source=backup-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/backup-common.sh"

database="${PGDATABASE:-hotline}"
backup_dir="${BACKUP_DIR:-/var/backups/hotline}"
keep_days="${KEEP_DAYS:-14}"
check_keep_days "$keep_days"

umask 077
mkdir -p "$backup_dir"
stamp="$(date +%Y%m%d-%H%M%S)"
# A name of its own for the dump in progress, so two runs at once never share one.
partial="$(mktemp "$backup_dir/.$database-$stamp-XXXXXX.partial")"
trap 'rm -f "$partial"' EXIT

pg_dump --format=custom --no-password --dbname="$database" --file="$partial"
# A dump pg_restore cannot read is no backup.
pg_restore --list "$partial" >/dev/null
target="$(keep_as "$backup_dir/$database-$stamp" dump "$partial")"

# Old dumps go only after today's succeeded (set -e stops before this otherwise).
find "$backup_dir" -maxdepth 1 -type f -name "$database-*.dump" -mtime +"$keep_days" -delete
echo "backup written: $target ($(du -h "$target" | cut -f1))"
