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

# keep_as BASE EXT FILE: FILE becomes BASE.EXT, or BASE-2.EXT, BASE-3.EXT ... if that is taken
# (two backups in one second); ln refuses to replace a file, so no backup overwrites another.
keep_as() {
    local base="$1" ext="$2" file="$3" candidate="$1.$2" n=1
    until ln "$file" "$candidate" 2>/dev/null; do
        n=$((n + 1))
        candidate="$base-$n.$ext"
    done
    rm -f "$file"
    echo "$candidate"
}

database="${PGDATABASE:-hotline}"
backup_dir="${BACKUP_DIR:-/var/backups/hotline}"
keep_days="${KEEP_DAYS:-14}"

# Checked before anything is written: a bad value must not surface after the dump.
if [[ ! "$keep_days" =~ ^[0-9]+$ ]]; then
    echo "KEEP_DAYS must be a whole number of days, not '$keep_days'" >&2
    exit 2
fi

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
